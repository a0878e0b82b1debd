/* lull: endless ambient music. The umbrella header of the public API. */
#ifndef LULL_H
#define LULL_H

#include "lull/engine.h"
#include "lull/err.h"
#include "lull/event.h"
#include "lull/icecast.h"
#include "lull/log.h"
#include "lull/params.h"
#include "lull/server.h"
#include "lull/station.h"

#define LULL_VERSION "0.1.0"

#endif
