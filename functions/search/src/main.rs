use hubee_shared::adapters::Withheld;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hubee_shared::bootstrap::init_tracing();
    let state = hubee_shared::bootstrap::lambda::<Withheld, Withheld, Withheld>().await?;
    lambda_http::run(hubee_search::router(state)).await
}
