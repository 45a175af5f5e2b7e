#include "actors/content_pools.hpp"

#include "protocol/tools/get_message.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp {

namespace {

struct mime_worker_state {
  static inline const char* name = "mime-worker";
};

struct pdf_worker_state {
  static inline const char* name = "pdf-worker";
};

/// The worker's zygote channel, wrapped: CAF's spawn inspects raw pointer arguments as if they
/// could be actors, which an incomplete type cannot answer.
struct pdf_lane {
  pdf::zygote_channel* channel = nullptr;
};

mime_worker_actor::behavior_type mime_worker(mime_worker_actor::stateful_pointer<mime_worker_state>) {
  return {
    [](const mime_job& job) -> std::shared_ptr<const tools::rendered_message> {
      if (clock_type::now() >= job.deadline) return nullptr; // the caller answers "timeout"
      try {
        return std::make_shared<const tools::rendered_message>(tools::render_message(*job.fetch, *job.args));
      } catch (const std::exception& e) {
        // The adapters catch their libraries' exceptions; this is the last line of defence.
        LOG_ERROR("mime", "rendering failed: " << e.what());
        return std::make_shared<const tools::rendered_message>();
      }
    },
  };
}

pdf_worker_actor::behavior_type pdf_worker(pdf_worker_actor::stateful_pointer<pdf_worker_state>,
                                           pdf_lane lane) {
  return {
    [channel = lane.channel](const pdf_job& job) -> pdf_reply {
      const auto& part = job.fetch->pdfs.at(job.index);
      pdf_reply reply;
      reply.section = part.section;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(job.deadline - clock_type::now());
      if (left.count() <= 0) {
        reply.error = make_failure(error_code::timeout, "no time left to extract the PDF", "pdf", true);
        return reply;
      }
      try {
        auto text = tools::extract_pdf(part, job.max_chars, static_cast<int>(left.count()), channel);
        if (text) {
          reply.text = std::move(text->text);
          reply.truncated = text->truncated;
        } else {
          reply.error = text.error();
        }
      } catch (const std::exception& e) {
        LOG_ERROR("pdf", "extraction failed: " << e.what());
        reply.error = make_failure(error_code::internal, "PDF text extraction failed", "pdf");
      }
      return reply;
    },
  };
}

} // namespace

mime_worker_actor spawn_mime_worker(caf::actor_system& system) {
  return system.spawn<caf::detached>(mime_worker);
}

pdf_worker_actor spawn_pdf_worker(caf::actor_system& system, pdf::zygote_channel* channel) {
  return system.spawn<caf::detached>(pdf_worker, pdf_lane{channel});
}

} // namespace imap_mcp
