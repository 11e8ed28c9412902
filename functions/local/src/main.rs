/// mimalloc rather than glibc's malloc: under concurrent load the hub allocates and frees
/// small buffers from many threads (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hubee_shared::bootstrap::init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = hubee_local::maintenance::command(&args)?;
    let config = hubee_shared::config::LocalConfig::from_env()?;
    if let Some(command) = command {
        if let Err(e) = hubee_local::maintenance::run(command, config).await {
            eprintln!("{e:#}");
            std::process::exit(1);
        }
        return Ok(());
    }
    let hub = hubee_local::start_on_system_clock(config).await?;
    println!(
        "HubEE local hub on http://{}\n{}",
        hub.addr,
        hub.demo.as_ref().map(ToString::to_string).unwrap_or_default()
    );
    hub.run_until_signal().await
}
