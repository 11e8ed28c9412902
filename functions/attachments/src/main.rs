use hubee_shared::adapters::{Withheld, aws::S3Objects};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hubee_shared::bootstrap::init_tracing();
    let state = hubee_shared::bootstrap::lambda::<S3Objects, Withheld, Withheld>().await?;
    lambda_http::run(hubee_attachments::router(state)).await
}
