//! Wiegand 26 and 34 from the falling edges of two GPIO lines (SPEC
//! "Kiosk config additions": `kind = "wiegand"`, `d0_pin`, `d1_pin`,
//! `bits`). A pulse on D0 is a 0, on D1 a 1; a reader sends a bit every 1
//! to 2 ms (pulses of 50 to 100 µs) and a frame ends with silence.
//!
//! The decoder is pure: it takes edge timestamps (from rppal's interrupt
//! events on a Pi, from recordings in tests) and gives [`Decoded`] frames.
//! - An edge closer than [`GLITCH_US`] to the previous one is noise (a
//!   bounce or crosstalk between the lines) and is dropped.
//! - A frame ends after [`FRAME_GAP_US`] without an edge; the reader
//!   thread calls [`Wiegand::idle`] so that a frame is finished on time,
//!   not when the next card arrives.
//! - Only 26 or 34 bits with both parities right give a card (the
//!   configured `bits` first; the other length is refused as the wrong
//!   format); anything else, a half frame included, is dropped with why.
//!
//! The card id is the facility code and number as hex: 6 digits for
//! Wiegand 26 (8 + 16 bits), 8 for Wiegand 34 (16 + 16 bits).

use super::frames::Decoded;

/// A frame is over after this much silence (a frame's bits come at most
/// ~2.5 ms apart; 25 ms is ten times that and far below a second card).
pub const FRAME_GAP_US: u64 = 25_000;
/// Edges closer than this to the previous accepted one are noise.
pub const GLITCH_US: u64 = 200;
/// More bits than any format: the line is noisy, start over.
const MAX_BITS: usize = 40; // the message below says 40

/// The two data lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A pulse here is a 0.
    D0,
    /// A pulse here is a 1.
    D1,
}

/// A falling edge on a line, in microseconds on a monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub line: Line,
    pub at_us: u64,
}

/// Collects the edges of one frame at a time. Edges may arrive out of
/// order (rppal reports each line from its own thread): a frame's edges
/// are sorted by timestamp when it ends, and only then filtered for
/// glitches and read as bits.
#[derive(Debug, Clone)]
pub struct Wiegand {
    /// The configured format: 26 or 34.
    bits_expected: usize,
    edges: Vec<Edge>,
    /// The latest timestamp of the frame (the silence is counted from it).
    last_at: Option<u64>,
}

impl Wiegand {
    /// A decoder for Wiegand `bits` (26 or 34; anything else is refused by
    /// the config).
    pub fn new(bits_expected: u8) -> Wiegand {
        Wiegand { bits_expected: usize::from(bits_expected), edges: Vec::new(), last_at: None }
    }

    /// Takes one edge; a frame that ended before it is decoded into `out`.
    pub fn edge(&mut self, e: Edge, out: &mut Vec<Decoded>) {
        if self.last_at.is_some_and(|last| e.at_us >= last.saturating_add(FRAME_GAP_US)) {
            self.finish(out);
        }
        self.edges.push(e);
        self.last_at = Some(self.last_at.map_or(e.at_us, |l| l.max(e.at_us)));
        // Far more edges than any frame, glitches included: noise.
        if self.edges.len() > 2 * MAX_BITS {
            out.push(Decoded::Dropped("wiegand: more than 40 bits: noise on the lines"));
            self.edges.clear();
            self.last_at = None;
        }
    }

    /// Nothing happened until `now_us`: a frame silent for [`FRAME_GAP_US`]
    /// is complete.
    pub fn idle(&mut self, now_us: u64, out: &mut Vec<Decoded>) {
        if self.last_at.is_some_and(|last| now_us.saturating_sub(last) >= FRAME_GAP_US) {
            self.finish(out);
        }
    }

    /// When the current frame, if any, will be complete (for the reader's wait).
    pub fn due(&self) -> Option<u64> {
        self.last_at.map(|l| l.saturating_add(FRAME_GAP_US))
    }

    fn finish(&mut self, out: &mut Vec<Decoded>) {
        let mut edges = std::mem::take(&mut self.edges);
        self.last_at = None;
        edges.sort_by_key(|e| e.at_us);
        // An edge closer than GLITCH_US to the previous kept one is noise.
        let mut bits = Vec::with_capacity(edges.len());
        let mut kept: Option<u64> = None;
        for e in edges {
            if kept.is_some_and(|k| e.at_us - k < GLITCH_US) {
                continue;
            }
            bits.push(e.line == Line::D1);
            kept = Some(e.at_us);
        }
        if bits.len() > MAX_BITS {
            out.push(Decoded::Dropped("wiegand: more than 40 bits: noise on the lines"));
        } else if !bits.is_empty() {
            out.push(decode(&bits, self.bits_expected));
        }
    }
}

/// Decodes a complete frame.
pub fn decode(bits: &[bool], expected: usize) -> Decoded {
    let ones = |b: &[bool]| b.iter().filter(|x| **x).count();
    let n = bits.len();
    if n != expected {
        return Decoded::Dropped(match n {
            26 | 34 => "wiegand: a frame of the other format than [reader] bits",
            _ => "wiegand: a frame of the wrong length (a half frame or noise)",
        });
    }
    // The leading parity bit makes the first half even, the trailing one
    // the second half odd.
    let half = n / 2;
    if ones(&bits[..half]) % 2 != 0 {
        return Decoded::Dropped("wiegand: the even parity of the first half is wrong");
    }
    if ones(&bits[half..]) % 2 != 1 {
        return Decoded::Dropped("wiegand: the odd parity of the second half is wrong");
    }
    let value = bits[1..n - 1].iter().fold(0u64, |v, b| (v << 1) | u64::from(*b));
    Decoded::Card(format!("{value:0width$X}", width = (n - 2) / 4))
}

/// The bits of a card as a reader sends them (parities added): for tests
/// and the reader's self-check.
pub fn encode(value: u64, bits: usize) -> Vec<bool> {
    let data: Vec<bool> = (0..bits - 2).rev().map(|i| value >> i & 1 == 1).collect();
    let half = bits / 2;
    let first = data[..half - 1].iter().filter(|b| **b).count() % 2 == 1;
    let second = data[half - 1..].iter().filter(|b| **b).count() % 2 == 0;
    let mut out = vec![first];
    out.extend(data);
    out.push(second);
    out
}

/// The Wiegand reader's body: falling edges of D0 and D1 from the GPIO
/// (`gpio::falling_edges`: rppal's interrupt thread, kernel timestamps),
/// decoded by [`Wiegand`].
pub fn wiegand_loop(ctx: &super::Ctx, d0: u8, d1: u8, bits: u8) -> super::Ended {
    use super::{Ended, ReaderState};
    use std::sync::mpsc::RecvTimeoutError;
    use std::time::Duration;
    // A GPIO that cannot be opened is said once and tried again, inside
    // this body: ending it would make the supervisor report a second
    // error, and each would sound the fault at the door.
    let (rx, lines) = loop {
        match crate::kiosk::gpio::falling_edges(&[(d0, Line::D0), (d1, Line::D1)], "wiegand") {
            Ok(opened) => break opened,
            Err(why) => {
                ctx.state(ReaderState::Error, why);
                ctx.sleep(Duration::from_secs(30));
                if ctx.stopped() {
                    return Ended::Stopped;
                }
            }
        }
    };
    ctx.state(ReaderState::Connected, format!("wiegand {bits} on GPIO {d0}/{d1}"));
    let mut decoder = Wiegand::new(bits);
    let mut hold = super::frames::HoldFilter::new(super::HOLD_GAP_MS);
    // The last edge's kernel timestamp and when we received it: the
    // silence since is measured on our clock, added to its timestamp.
    let mut last: Option<(u64, std::time::Instant)> = None;
    let mut out = Vec::new();
    while !ctx.stopped() {
        match rx.recv_timeout(Duration::from_millis(10)) {
            Ok((line, at_us)) => {
                last = Some((at_us, std::time::Instant::now()));
                decoder.edge(Edge { line, at_us }, &mut out);
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some((at, seen)) = last {
                    decoder.idle(at.saturating_add(seen.elapsed().as_micros() as u64), &mut out);
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        for d in out.drain(..) {
            ctx.decoded(d, Some(&mut hold));
        }
    }
    drop(lines);
    Ended::Stopped
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Edges of `bits` starting at `t0`, one every 2 ms.
    fn edges(bits: &[bool], t0: u64) -> Vec<Edge> {
        bits.iter()
            .enumerate()
            .map(|(i, b)| Edge { line: if *b { Line::D1 } else { Line::D0 }, at_us: t0 + i as u64 * 2_000 })
            .collect()
    }

    fn run(w: &mut Wiegand, es: &[Edge], end: u64) -> Vec<Decoded> {
        let mut out = Vec::new();
        for e in es {
            w.edge(*e, &mut out);
        }
        w.idle(end, &mut out);
        out
    }

    #[test]
    fn a_wiegand_26_card_with_facility_and_number() {
        // Facility 0x12, number 0x3456: the classic 26-bit layout.
        let bits = encode(0x12_3456, 26);
        assert_eq!(bits.len(), 26);
        let mut w = Wiegand::new(26);
        assert_eq!(run(&mut w, &edges(&bits, 1_000), 1_000_000), vec![Decoded::Card("123456".into())]);
    }

    #[test]
    fn a_wiegand_34_card() {
        let mut w = Wiegand::new(34);
        let out = run(&mut w, &edges(&encode(0x0100_ABCD, 34), 0), 1_000_000);
        assert_eq!(out, vec![Decoded::Card("0100ABCD".into())]);
    }

    #[test]
    fn a_known_26_bit_frame_from_a_reader() {
        // Facility 1, card 1 as readers send it: 1 00000001 0000000000000001 0
        // (the first 12 data bits hold one 1: the even parity bit is 1; the
        // last 12 hold one 1: the odd parity bit is 0).
        let mut bits = vec![true];
        bits.extend((0..8).map(|i| i == 7));
        bits.extend((0..16).map(|i| i == 15));
        bits.push(false);
        assert_eq!(decode(&bits, 26), Decoded::Card("010001".into()));
    }

    #[test]
    fn glitches_are_dropped_and_parity_errors_refused() {
        let bits = encode(0x12_3456, 26);
        let mut es = edges(&bits, 0);
        // A bounce 50 µs after bit 3 and crosstalk on the other line 120 µs after bit 10.
        es.insert(4, Edge { line: Line::D1, at_us: es[3].at_us + 50 });
        es.insert(12, Edge { line: Line::D0, at_us: es[11].at_us + 120 });
        let mut w = Wiegand::new(26);
        assert_eq!(run(&mut w, &es, 10_000_000), vec![Decoded::Card("123456".into())]);
        // One bit flipped: a parity error, never a wrong card.
        for i in 0..26 {
            let mut bad = bits.clone();
            bad[i] = !bad[i];
            assert!(matches!(decode(&bad, 26), Decoded::Dropped(why) if why.contains("parity")), "bit {i}");
        }
    }

    #[test]
    fn edges_that_arrive_out_of_order_still_read() {
        // Each line has its own interrupt thread: a late D0 edge arrives
        // after the D1 edges that followed it.
        let bits = encode(0x12_3456, 26);
        let mut es = edges(&bits, 0);
        es.swap(5, 6);
        es.swap(17, 19);
        let mut w = Wiegand::new(26);
        assert_eq!(run(&mut w, &es, 10_000_000), vec![Decoded::Card("123456".into())]);
    }

    #[test]
    fn half_frames_time_out_and_the_next_card_still_reads() {
        let bits = encode(0x12_3456, 26);
        let mut w = Wiegand::new(26);
        let mut out = Vec::new();
        // 13 bits, then the card is pulled away: the gap ends the frame.
        for e in edges(&bits[..13], 0) {
            w.edge(e, &mut out);
        }
        w.idle(24_000 + 10_000, &mut out);
        assert!(out.is_empty(), "not over yet: {out:?}");
        w.idle(24_000 + FRAME_GAP_US + 1, &mut out);
        assert!(matches!(&out[..], [Decoded::Dropped(why)] if why.contains("wrong length")), "{out:?}");
        // A full frame after it, without an idle call between: the gap ends the half frame.
        let mut w = Wiegand::new(26);
        let mut es = edges(&bits[..7], 0);
        es.extend(edges(&bits, 200_000));
        let out = run(&mut w, &es, 10_000_000);
        assert!(matches!(&out[..], [Decoded::Dropped(_), Decoded::Card(id)] if id == "123456"), "{out:?}");
    }

    #[test]
    fn the_other_format_and_noise_are_refused() {
        let mut w = Wiegand::new(26);
        let out = run(&mut w, &edges(&encode(1, 34), 0), 10_000_000);
        assert!(matches!(&out[..], [Decoded::Dropped(why)] if why.contains("other format")), "{out:?}");
        let noise: Vec<bool> = (0..60).map(|i| i % 3 == 0).collect();
        let out = run(&mut Wiegand::new(26), &edges(&noise, 0), 10_000_000);
        assert!(out.iter().all(|d| matches!(d, Decoded::Dropped(_))), "{out:?}");
        // Time going back mid-frame is noise, not a panic.
        let mut w = Wiegand::new(26);
        let mut out = Vec::new();
        w.edge(Edge { line: Line::D0, at_us: 5_000 }, &mut out);
        w.edge(Edge { line: Line::D1, at_us: 1_000 }, &mut out);
        w.idle(u64::MAX, &mut out);
        assert!(matches!(&out[..], [Decoded::Dropped(_)]), "{out:?}");
    }
}
