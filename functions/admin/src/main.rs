#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hubee_shared::bootstrap::init_tracing();
    let state = hubee_shared::bootstrap::lambda_administering().await?;
    lambda_http::run(hubee_admin::router(state)).await
}
