//! The `wgkeras` command: `wgkeras info` lists the adapters and the device `auto` picks.

use wgkeras::runtime::device::{list_adapters, Device};

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1 << 20))
}

fn info() -> i32 {
    println!("wgkeras {}", env!("CARGO_PKG_VERSION"));
    let adapters = list_adapters();
    if adapters.is_empty() {
        println!("adapters: none (no Vulkan/Metal/DX12/GL driver found)");
    }
    for a in &adapters {
        println!("adapter {}: {}", a.index, a.name);
        println!(
            "  backend: {}   type: {}{}",
            a.backend,
            a.device_type,
            if a.is_software { " (software)" } else { "" }
        );
        println!("  driver: {} {}", a.driver, a.driver_info);
        println!(
            "  features: shader-f16={} subgroups={} timestamps={}",
            yes(a.shader_f16),
            yes(a.subgroups),
            yes(a.timestamps)
        );
        println!(
            "  limits: storage binding {}, buffer {}, workgroup memory {} KiB, {} invocations/workgroup, \
             {} workgroups/dim, {} storage buffers/stage",
            mib(a.max_storage_buffer_binding_size),
            mib(a.max_buffer_size),
            a.max_compute_workgroup_storage_size / 1024,
            a.max_compute_invocations_per_workgroup,
            a.max_compute_workgroups_per_dimension,
            a.max_storage_buffers_per_shader_stage
        );
    }
    match Device::choose() {
        Ok(choice) => {
            println!("auto picks: {}", choice.device);
            println!("  why: {}", choice.reason);
            0
        }
        Err(e) => {
            println!("auto picks: cpu");
            println!("  why: {e}");
            1
        }
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn usage() -> i32 {
    eprintln!("usage: wgkeras info    list GPU adapters and the device `auto` picks");
    2
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("info") => info(),
        Some("-h") | Some("--help") | None => usage(),
        Some(other) => {
            eprintln!("wgkeras: unknown command {other:?}");
            usage()
        }
    };
    std::process::exit(code);
}
