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
        crate::routes::job_batch::queue_batch,
        crate::routes::jobs::cancel,
        crate::routes::queues::configure,
        crate::routes::conversions::upload,
        crate::routes::meetups::create,
        crate::routes::meetups::join,
        crate::routes::channels::create,
        crate::routes::channels::update,
        crate::routes::channels::delete,
        crate::routes::channels::add_member,
        crate::routes::channels::remove_member,
        crate::routes::messages::post,
        crate::routes::messages::edit,
        crate::routes::messages::delete
    ),
    components(schemas(crate::accepted::Accepted, http_kit::problem::Problem))
)]
pub struct CommandApi;
