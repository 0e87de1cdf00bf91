//! The engine conformance suite on QuickJS.

motu_engine::engine_testsuite!(motu_quickjs::QuickJsEngine::new());
