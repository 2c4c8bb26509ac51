//! Staff photos for the scan screen, decoded on the kiosk loop's thread
//! (the UI thread does no IO: it only copies the pixels into an image).
//! Decoded pictures are kept by path up to a byte budget; imported photos
//! are named by their content, so a new picture is a new path.

use std::collections::HashMap;
use std::sync::Arc;

/// A decoded photo: RGBA8 pixels, row by row.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo {
    pub width: u32,
    pub height: u32,
    pub rgba: Arc<[u8]>,
}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Photo({}×{})", self.width, self.height)
    }
}

/// How many bytes of decoded photos are kept (a 300×400 passport photo
/// is 480 KB decoded; import caps a side at 1024 px, 4 MB): the cache
/// starts over beyond this.
const KEPT_BYTES: usize = 64 * 1024 * 1024;

/// The largest side decoded at all: a photo stored before import checked
/// sizes (schema 5) is refused here rather than decoded at any cost.
const MAX_SIDE: u32 = 2048;

#[derive(Default)]
pub struct Photos {
    kept: HashMap<String, Photo>,
    bytes: usize,
}

impl Photos {
    /// The photo at `path`, decoded once; `None` when it cannot be read
    /// or decoded (the screen shows the initial instead).
    pub fn get(&mut self, path: &str) -> Option<Photo> {
        if let Some(p) = self.kept.get(path) {
            return Some(p.clone());
        }
        let photo = decode(path)?;
        if self.bytes + photo.rgba.len() > KEPT_BYTES {
            self.kept.clear();
            self.bytes = 0;
        }
        self.bytes += photo.rgba.len();
        self.kept.insert(path.to_string(), photo.clone());
        Some(photo)
    }
}

fn decode(path: &str) -> Option<Photo> {
    let mut reader = image::ImageReader::open(path).ok()?.with_guessed_format().ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(4 * u64::from(MAX_SIDE) * u64::from(MAX_SIDE));
    reader.limits(limits);
    let img = reader.decode().ok()?.into_rgba8();
    let (width, height) = img.dimensions();
    Some(Photo { width, height, rgba: img.into_raw().into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_is_decoded_once_and_a_bad_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.png");
        image::RgbImage::from_pixel(3, 2, image::Rgb([10, 20, 30])).save(&path).unwrap();
        let mut photos = Photos::default();
        let p = photos.get(path.to_str().unwrap()).unwrap();
        assert_eq!((p.width, p.height, &p.rgba[..4]), (3, 2, &[10, 20, 30, 255][..]));
        // Kept: the file may go, the picture stays.
        std::fs::remove_file(&path).unwrap();
        assert!(Arc::ptr_eq(&photos.get(path.to_str().unwrap()).unwrap().rgba, &p.rgba));
        std::fs::write(dir.path().join("bad.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
        assert!(photos.get(dir.path().join("bad.png").to_str().unwrap()).is_none());
        assert!(photos.get("/nonexistent/photo.jpg").is_none());
    }
}
