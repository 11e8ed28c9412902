#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hubee_shared::bootstrap::init_tracing();
    let state = hubee_shared::bootstrap::lambda_sealing().await?;
    let state = &state;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| hubee_purge::dispatch(state, event))).await
}
