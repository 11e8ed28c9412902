#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hubee_shared::bootstrap::init_tracing();
    let state = hubee_shared::bootstrap::lambda_with_objects().await?;
    lambda_http::run(hubee_attachments::router(state)).await
}
