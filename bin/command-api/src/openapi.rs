//! The part of the OpenAPI document command-api's routes describe.

use utoipa::OpenApi;

/// command-api's routes.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::routes::users::sign_up,
        crate::routes::users::update_me,
        crate::routes::sessions::sign_in,
        crate::routes::sessions::sign_out,
        crate::routes::games::configure,
        crate::routes::scores::submit,
        crate::routes::refresh::request,
        crate::routes::jobs::queue,
        crate::routes::jobs::cancel,
        crate::routes::conversions::upload
    ),
    components(schemas(crate::accepted::Accepted, http_kit::problem::Problem))
)]
pub struct CommandApi;
