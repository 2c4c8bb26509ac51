//! Password checks on a small fixed set of threads that reuse their
//! memory, behind a bounded queue.
//!
//! Why: an Argon2 check needs its memory cost in RAM (19 MiB at the
//! default parameters). Run on tokio's blocking pool, each check landed on
//! whichever of up to 512 threads was free, and glibc kept every thread's
//! arena: a flood of bogus logins left the server at gigabytes. Here
//! [`threads`] threads each own one block buffer, grown to the largest
//! parameters seen and reused for every check, so the memory is bounded by
//! their number × the memory cost. Past `QUEUE` waiting checks a login is
//! refused at once ([`Busy`]) instead of waiting behind an attacker's.

use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// Checking threads: half the cores (at least one), so that a flood of
/// logins (each check a core's worth of work for ~20 ms) leaves the rest
/// to the uploads even before the scheduler's priorities.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}
/// Checks that may wait (besides those being made); past this a login
/// gets 503 at once.
pub const QUEUE: usize = 32;

/// A hash that no password matches (a valid Argon2id string at the
/// default parameters, with a made-up output), checked for unknown names
/// and locked accounts so that they take as long as a wrong password.
pub const NO_ACCOUNT_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bm8gc3VjaCBhY2NvdW50$8xUH2DtoYfUczVYuLWlSH8Bz3vC5W+fITPWSlbYr9pI";

/// The queue is full: the check was not made.
#[derive(Debug, PartialEq, Eq)]
pub struct Busy;

struct Job {
    password: String,
    hash: String,
    answer: oneshot::Sender<bool>,
    /// The job's place, given back when the check is done.
    place: OwnedSemaphorePermit,
}

/// The checking threads' queue.
pub struct Hasher {
    jobs: Sender<Job>,
    /// Places for checks being made or waiting: `threads() + QUEUE`.
    places: Arc<Semaphore>,
}

/// A place in the queue, taken before the check's hash is known (before
/// the account is looked up: a busy server answers 503 without asking
/// the database).
pub struct Place<'a> {
    hasher: &'a Hasher,
    place: OwnedSemaphorePermit,
}

impl Place<'_> {
    /// Queues the check in this place: its answer comes on the receiver
    /// (false if the threads are gone).
    pub fn check(self, password: String, hash: String) -> oneshot::Receiver<bool> {
        let (answer, answered) = oneshot::channel();
        let _ = self.hasher.jobs.send(Job { password, hash, answer, place: self.place });
        answered
    }
}

impl Hasher {
    /// Starts the threads; they end when the `Hasher` is dropped.
    pub fn start() -> std::io::Result<Hasher> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..threads() {
            let queue = queue.clone();
            std::thread::Builder::new().name(format!("password-check-{i}")).spawn(move || {
                // Below the uploads: a login flood takes what they leave.
                crate::central::listener::lower_priority(crate::central::listener::LOW_PRIORITY);
                let mut memory: Vec<Block> = Vec::new();
                loop {
                    // One waits on the queue at a time; the lock is held
                    // only while taking a job.
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    let Ok(Job { password, hash, answer, place }) = job else { return };
                    let ok = verify(&password, &hash, &mut memory);
                    // The place is free before the answer is: whoever
                    // was answered finds it free.
                    drop(place);
                    let _ = answer.send(ok);
                }
            })?;
        }
        Ok(Hasher { jobs, places: Arc::new(Semaphore::new(threads() + QUEUE)) })
    }

    /// A place for one check, or [`Busy`] at once when every place is taken.
    pub fn reserve(&self) -> Result<Place<'_>, Busy> {
        let place = self.places.clone().try_acquire_owned().map_err(|_| Busy)?;
        Ok(Place { hasher: self, place })
    }

    /// Queues a check (see [`Place::check`]), or [`Busy`] at once.
    pub fn submit(&self, password: String, hash: String) -> Result<oneshot::Receiver<bool>, Busy> {
        Ok(self.reserve()?.check(password, hash))
    }

    /// Whether `password` matches `hash` (a malformed hash never matches).
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, Busy> {
        Ok(self.submit(password, hash)?.await.unwrap_or(false))
    }
}

/// Checks `password` against a PHC string, computing Argon2 in `memory`
/// (grown when the hash's parameters need more, never shrunk).
pub fn verify(password: &str, hash: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(h) = PasswordHash::new(hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(h.algorithm), Params::try_from(&h)) else {
        return false;
    };
    let version = match h.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (h.salt, h.hash) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let blocks = params.block_count();
    // A stored hash asking for more than 256 MiB is not one of ours.
    if blocks > 256 * 1024 {
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    if argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..blocks]).is_err() {
        return false;
    }
    crate::central::auth::same_bytes(&out, expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_what_the_library_hashed_and_nothing_else() {
        let mut memory = Vec::new();
        let h = crate::central::auth::hash_password("correct horse").unwrap();
        assert!(verify("correct horse", &h, &mut memory));
        assert!(!verify("correct hors", &h, &mut memory));
        let grown = memory.len();
        assert_eq!(grown, Params::default().block_count());
        // Reused, not grown again.
        assert!(verify("correct horse", &h, &mut memory));
        assert_eq!(memory.len(), grown);
        assert!(!verify("", NO_ACCOUNT_HASH, &mut memory));
        assert!(!verify("x", "not a hash", &mut memory));
        assert!(!verify("x", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ", &mut memory), "no output");
        // The library's own verifier agrees (with a hash made elsewhere).
        let kiosk_pin = crate::domain::hashing::hash("4321", "PIN").unwrap();
        assert!(verify("4321", &kiosk_pin, &mut memory) && crate::domain::hashing::verify("4321", &kiosk_pin));
    }

    #[test]
    fn a_full_queue_answers_busy_at_once() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let hasher = Hasher::start().unwrap();
            let h = crate::central::auth::hash_password("pw").unwrap();
            assert_eq!(hasher.verify("pw".into(), h.clone()).await, Ok(true));
            // Many at once: the threads take some, the queue holds QUEUE,
            // the rest are refused without waiting.
            let place = hasher.reserve().unwrap();
            let tries: Vec<_> = (0..threads() + QUEUE + 20).map(|_| hasher.submit("no".into(), h.clone())).collect();
            let busy = tries.iter().filter(|t| t.is_err()).count();
            // 20, and one more for the place held: fewer only by the
            // checks finished (their places given back) while submitting,
            // which are among those answered by now.
            let answered = tries.iter().flatten().filter(|r| !r.is_empty()).count();
            assert!(busy <= 21 && busy + answered >= 21, "{busy} refused, {answered} answered");
            for t in tries.into_iter().flatten() {
                assert!(!t.await.unwrap(), "a wrong password");
            }
            // A place taken before the hash is known: its check is made.
            assert!(!place.check("no".into(), h.clone()).await.unwrap());
            // Room again once they are done.
            assert_eq!(hasher.verify("pw".into(), h).await, Ok(true));
        });
    }
}
