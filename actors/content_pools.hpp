#pragma once

#include "actors/interfaces.hpp"

namespace imap_mcp {

/// Spawns one MIME PARSER POOL worker (detached; vmime and gumbo run on its own thread).
mime_worker_actor spawn_mime_worker(caf::actor_system& system);

/// Spawns one PDF EXTRACTOR POOL worker (detached; poppler runs on its own thread).
pdf_worker_actor spawn_pdf_worker(caf::actor_system& system);

} // namespace imap_mcp
