//! Translating actix-web's payload stream into the `http_body::Body` the core reads.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::error::PayloadError;
use actix_web::web::{Bytes, Payload};
use http_body::{Body, Frame};
use webhook_core::futures::Stream;

/// An actix-web payload as an `http_body::Body`: each chunk a data frame, each payload
/// error the body's error. Not `Send`, as the payload is not: the core's
/// [`Receiver::respond`](webhook_core::Receiver::respond) takes it as it is.
pub(crate) struct PayloadBody(pub(crate) Payload);

impl Body for PayloadBody {
    type Data = Bytes;
    type Error = PayloadError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, PayloadError>>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|chunk| chunk.map(|chunk| chunk.map(Frame::data)))
    }
}
