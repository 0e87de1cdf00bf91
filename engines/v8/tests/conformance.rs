//! The engine conformance suite on V8.

motu_engine::engine_testsuite!(motu_v8::V8Engine::new());
