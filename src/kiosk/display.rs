//! The screen's rotation on a Raspberry Pi (`[display] rotation`). Slint's
//! linuxkms backend turns the picture (`SLINT_KMS_ROTATION`, clockwise) but
//! maps touches straight onto the turned window, so the touch must be
//! turned by libinput's calibration matrix, which libinput reads from the
//! udev property `LIBINPUT_CALIBRATION_MATRIX` when it opens the device.
//! `dutyclock display touch-rule` writes that property as a udev rule from
//! the same config key; the kiosk's unit runs it (as root, before the
//! kiosk starts) into `/run/udev/rules.d` and re-triggers the input
//! devices, so one key turns both and a change takes effect at the next
//! restart.

/// libinput's calibration matrix (its first two rows, `a b c d e f`: a
/// touch at normalised panel coordinates (x, y) lands at (ax+by+c,
/// dx+ey+f) of the window) for a picture turned `rotation` degrees
/// clockwise; `None` for no rotation.
pub fn touch_matrix(rotation: u16) -> Option<[i8; 6]> {
    match rotation {
        // The window's top left is on the panel's top right: x along the
        // panel's height, y against its width.
        90 => Some([0, 1, 0, -1, 0, 1]),
        180 => Some([-1, 0, 1, 0, -1, 1]),
        270 => Some([0, -1, 1, 1, 0, 0]),
        _ => None,
    }
}

/// The udev rule for `rotation`: every touchscreen (`ID_INPUT_TOUCHSCREEN`,
/// set by udev's input_id before rules numbered 99) gets the matrix.
/// Without a rotation the rule sets nothing, so a panel's own hwdb
/// calibration stays.
pub fn touch_rule(rotation: u16) -> String {
    let head = format!(
        "# Written by `dutyclock display touch-rule` from [display] rotation = {rotation}\n\
         # (the kiosk's unit writes it at every start): the touch turns with the picture.\n"
    );
    match touch_matrix(rotation) {
        Some(m) => {
            let m: Vec<String> = m.iter().map(|v| v.to_string()).collect();
            format!(
                "{head}SUBSYSTEM==\"input\", KERNEL==\"event*\", ENV{{ID_INPUT_TOUCHSCREEN}}==\"1\", \
                 ENV{{LIBINPUT_CALIBRATION_MATRIX}}=\"{}\"\n",
                m.join(" ")
            )
        }
        None => format!("{head}# No rotation: nothing to turn.\n"),
    }
}

/// Whether a keyboard is attached for typing words (a void's 其他): a
/// device udev names a keyboard in `by_id` (`/dev/input/by-id`, entries
/// ending `-event-kbd`) other than the reader itself (a keyboard-wedge
/// reader types card ids, not words). Without one, nothing on the kiosk
/// asks for letters.
pub fn keyboard_attached(by_id: &std::path::Path, reader: Option<&std::path::Path>) -> bool {
    let reader = reader.and_then(|r| std::fs::canonicalize(r).ok());
    let Ok(entries) = std::fs::read_dir(by_id) else { return false };
    let devices = entries.filter_map(|e| e.ok()).map(|e| {
        let path = e.path();
        (e.file_name().to_string_lossy().into_owned(), std::fs::canonicalize(&path).unwrap_or(path))
    });
    any_keyboard(devices, reader.as_deref())
}

/// The decision of [`keyboard_attached`] over (name, device) pairs.
fn any_keyboard(devices: impl Iterator<Item = (String, std::path::PathBuf)>, reader: Option<&std::path::Path>) -> bool {
    devices.into_iter().any(|(name, dev)| name.ends_with("-event-kbd") && reader != Some(dev.as_path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where Slint draws a window point on the panel (both normalised to
    /// 0..1) for a clockwise rotation: the model the matrix must invert.
    fn drawn_at(rotation: u16, (wx, wy): (i8, i8)) -> (i8, i8) {
        match rotation {
            90 => (1 - wy, wx),
            180 => (1 - wx, 1 - wy),
            270 => (wy, 1 - wx),
            _ => (wx, wy),
        }
    }

    #[test]
    fn a_touch_lands_where_the_window_point_is_drawn() {
        for rotation in [0, 90, 180, 270] {
            let m = touch_matrix(rotation).unwrap_or([1, 0, 0, 0, 1, 0]);
            for w in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (px, py) = drawn_at(rotation, w);
                let touched = (m[0] * px + m[1] * py + m[2], m[3] * px + m[4] * py + m[5]);
                assert_eq!(touched, w, "rotation {rotation}: a touch on the panel at ({px}, {py})");
            }
        }
    }

    #[test]
    fn a_keyboard_is_one_that_is_not_the_reader() {
        let dev = |n: &str, d: &str| (n.to_string(), std::path::PathBuf::from(d));
        let reader = std::path::Path::new("/dev/input/event3");
        let wedge = dev("usb-IC_Reader-event-kbd", "/dev/input/event3");
        let mouse = dev("usb-Logitech_Mouse-event-mouse", "/dev/input/event4");
        let keys = dev("usb-Dell_Keyboard-event-kbd", "/dev/input/event5");
        assert!(!any_keyboard([wedge.clone(), mouse.clone()].into_iter(), Some(reader)), "the reader is no keyboard");
        assert!(any_keyboard([wedge.clone(), keys].into_iter(), Some(reader)));
        assert!(any_keyboard([wedge].into_iter(), None), "a wedge not configured as the reader is a keyboard");
        assert!(!any_keyboard([mouse].into_iter(), None));
        assert!(!keyboard_attached(std::path::Path::new("/nonexistent/by-id"), None));
    }

    #[test]
    fn the_rule_sets_the_matrix_only_when_turned() {
        assert!(touch_rule(90).contains("ENV{LIBINPUT_CALIBRATION_MATRIX}=\"0 1 0 -1 0 1\""));
        assert!(touch_rule(90).contains("ENV{ID_INPUT_TOUCHSCREEN}==\"1\""));
        assert!(!touch_rule(0).contains("LIBINPUT_CALIBRATION_MATRIX}="));
    }
}
