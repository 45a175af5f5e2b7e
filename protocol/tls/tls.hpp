#pragma once

/// The TLS transport in one include: a shared client_context, connect() and tls_stream.
#include "protocol/tls/client_context.hpp"
#include "protocol/tls/tls_stream.hpp"
