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
    fn the_rule_sets_the_matrix_only_when_turned() {
        assert!(touch_rule(90).contains("ENV{LIBINPUT_CALIBRATION_MATRIX}=\"0 1 0 -1 0 1\""));
        assert!(touch_rule(90).contains("ENV{ID_INPUT_TOUCHSCREEN}==\"1\""));
        assert!(!touch_rule(0).contains("LIBINPUT_CALIBRATION_MATRIX}="));
    }
}
