//! A window without a display: Slint's own software renderer drawing into
//! a buffer, for screenshots and for UI tests driven by simulated touches.
//! Its event loop is the test's: what other threads post with
//! `upgrade_in_event_loop` (the kiosk loop's answers) waits in a queue
//! until [`pump`] runs it on the UI thread.

use std::rc::Rc;
use std::sync::Mutex;
use std::time::Duration;

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{EventLoopProxy, Platform, PointerEventButton, WindowAdapter, WindowEvent};
use slint::{EventLoopError, LogicalPosition, PhysicalSize, PlatformError, Rgb8Pixel};

struct Headless {
    window: Rc<MinimalSoftwareWindow>,
    start: std::time::Instant,
}

type Posted = Box<dyn FnOnce() + Send>;

/// Work posted to the UI thread, in order.
static POSTED: Mutex<Vec<Posted>> = Mutex::new(Vec::new());

struct Proxy;

impl EventLoopProxy for Proxy {
    fn quit_event_loop(&self) -> Result<(), EventLoopError> {
        Ok(())
    }
    fn invoke_from_event_loop(&self, event: Posted) -> Result<(), EventLoopError> {
        POSTED.lock().unwrap_or_else(|e| e.into_inner()).push(event);
        Ok(())
    }
}

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
    fn new_event_loop_proxy(&self) -> Option<Box<dyn EventLoopProxy>> {
        Some(Box::new(Proxy))
    }
}

/// Runs what other threads posted to the UI thread so far (call it on the
/// thread that made the window); returns how many were run.
pub fn pump() -> usize {
    let posted: Vec<Posted> = std::mem::take(&mut *POSTED.lock().unwrap_or_else(|e| e.into_inner()));
    let n = posted.len();
    for f in posted {
        f();
    }
    slint::platform::update_timers_and_animations();
    n
}

/// Installs the headless platform for this process (once) and returns its window.
pub fn install(width: u32, height: u32) -> Rc<MinimalSoftwareWindow> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    window.set_size(PhysicalSize::new(width, height));
    slint::platform::set_platform(Box::new(Headless { window: window.clone(), start: std::time::Instant::now() }))
        .expect("the headless platform is installed once per process");
    window
}

/// Renders the window's current frame; `None` if nothing needed drawing.
pub fn render(window: &MinimalSoftwareWindow) -> (u32, u32, Vec<Rgb8Pixel>) {
    slint::platform::update_timers_and_animations();
    let size = window.size();
    let mut buf = vec![Rgb8Pixel::new(0, 0, 0); (size.width * size.height) as usize];
    window.request_redraw();
    window.draw_if_needed(|renderer| {
        renderer.render(&mut buf, size.width as usize);
    });
    (size.width, size.height, buf)
}

/// Renders and writes a PNG.
pub fn screenshot(window: &MinimalSoftwareWindow, path: &std::path::Path) -> std::io::Result<()> {
    let (w, h, buf) = render(window);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut enc = png::Encoder::new(file, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(std::io::Error::other)?;
    let bytes: Vec<u8> = buf.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
    writer.write_image_data(&bytes).map_err(std::io::Error::other)?;
    Ok(())
}

/// A simulated touch at a point (logical pixels): press, then release.
pub fn tap(window: &MinimalSoftwareWindow, x: f32, y: f32) {
    let position = LogicalPosition::new(x, y);
    window.dispatch_event(WindowEvent::PointerMoved { position });
    window.dispatch_event(WindowEvent::PointerPressed { position, button: PointerEventButton::Left });
    window.dispatch_event(WindowEvent::PointerReleased { position, button: PointerEventButton::Left });
    window.dispatch_event(WindowEvent::PointerExited);
    slint::platform::update_timers_and_animations();
}
