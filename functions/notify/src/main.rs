#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hubee_shared::bootstrap::init_tracing();
    let state = hubee_shared::bootstrap::lambda_with_mailer().await?;
    let state = &state;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| hubee_notify::dispatch(state, event))).await
}
