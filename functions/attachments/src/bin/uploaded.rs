#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hubee_shared::bootstrap::init_tracing();
    let state = hubee_shared::bootstrap::lambda_with_objects().await?;
    let state = &state;
    let handler =
        move |event: lambda_runtime::LambdaEvent<_>| hubee_attachments::handle_object_event(state, event.payload);
    lambda_runtime::run(lambda_runtime::service_fn(handler)).await
}
