//! Compiles the touchscreen's `.slint` files (kiosk builds only).

fn main() {
    #[cfg(feature = "kiosk")]
    {
        let config = slint_build::CompilerConfiguration::new().with_style("fluent-light".into());
        slint_build::compile_with_config("ui/main.slint", config).expect("ui/main.slint compiles");
    }
}
