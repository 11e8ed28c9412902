use hubee_shared::adapters::Withheld;
use hubee_shared::adapters::aws::{SecretsManagerKey, SesMailer};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hubee_shared::bootstrap::init_tracing();
    let state = hubee_shared::bootstrap::lambda::<Withheld, SesMailer, SecretsManagerKey>().await?;
    lambda_http::run(hubee_auth::router(state)).await
}
