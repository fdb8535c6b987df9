//! (event: events the engine emits.)
