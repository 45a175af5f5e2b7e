#pragma once

#include "actors/interfaces.hpp"
#include "protocol/pdf/zygote.hpp"

namespace imap_mcp {

/// Spawns one MIME PARSER POOL worker (detached; vmime and gumbo run on its own thread).
mime_worker_actor spawn_mime_worker(caf::actor_system& system);

/// Spawns one PDF EXTRACTOR POOL worker (detached; it waits for its reader processes on its own
/// thread). `channel`: the worker's own lane to the PDF zygote, or null to fork readers directly.
pdf_worker_actor spawn_pdf_worker(caf::actor_system& system, pdf::zygote_channel* channel = nullptr);

} // namespace imap_mcp
