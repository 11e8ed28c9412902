#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hubee_shared::bootstrap::init_tracing();
    let config = hubee_shared::config::LocalConfig::from_env()?;
    let hub = hubee_local::start_on_system_clock(config).await?;
    println!(
        "HubEE local hub on http://{}\n{}",
        hub.addr,
        hub.demo.as_ref().map(ToString::to_string).unwrap_or_default()
    );
    hub.run_until_signal().await
}
