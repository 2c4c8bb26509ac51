//! A staff photo for tests (the kiosk's and the server's alike).

/// A 96×96 PNG portrait (a head and shoulders on a blue ground), a staff
/// photo as an office would enrol one.
pub fn portrait_png_bytes() -> Vec<u8> {
    portrait_on([70, 130, 200])
}

/// The portrait on another ground (a second photo of the same person).
#[allow(dead_code)]
pub fn portrait_on(ground: [u8; 3]) -> Vec<u8> {
    let (w, h) = (96u32, 96u32);
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h as i32 {
        for x in 0..w as i32 {
            let head = (x - 48).pow(2) + (y - 38).pow(2) < 18 * 18;
            let shoulders = y > 64 && (x - 48).pow(2) + (y - 100).pow(2) < 38 * 38;
            data.extend_from_slice(if head {
                &[240, 200, 170]
            } else if shoulders {
                &[40, 50, 70]
            } else {
                &ground
            });
        }
    }
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(png::ColorType::Rgb);
    e.set_depth(png::BitDepth::Eight);
    e.write_header().unwrap().write_image_data(&data).unwrap();
    out
}
