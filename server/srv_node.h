/*
 * srv_node.h -- the node: everything `pgkv start` runs.
 *
 * srv_node_run() (declared in srv_config.h) locks the data directory (exit 1
 * at once if another process owns it), sets up TLS and authentication,
 * starts the SQL listeners (TCP and unix socket) and the status HTTP
 * listener on one libevent loop, opens the store on a thread and, once it
 * is open, becomes ready (/health?ready=1 200) and accepts SQL.  It runs
 * until the process is told to stop.  SIGTERM (or POST /_admin/drain)
 * drains in phases -- unready, stop accepting, drain sessions, cancel what
 * is left -- and then exits 0; a second SIGTERM or a SIGINT stops at once.
 * docs/operations.md describes the phases as operators and clients see them.
 *
 * The event loop thread only accepts, times, signals and serves status;
 * each connection runs on its own threads (pgwire/pgw_conn.c).
 */
#ifndef PGKV_SRV_NODE_H
#define PGKV_SRV_NODE_H

#include "server/srv_config.h"

typedef enum srv_drain_phase {
	SRV_PHASE_SERVING = 0,
	SRV_PHASE_UNREADY,		/* /health?ready=1 is 503, SQL still served */
	SRV_PHASE_NO_NEW,		/* listener closed, new connections refused */
	SRV_PHASE_DRAINING,		/* sessions asked to finish at a transaction boundary */
	SRV_PHASE_CANCELLING,	/* remaining sessions cancelled */
	SRV_PHASE_DONE,
} srv_drain_phase;

const char *srv_drain_phase_name(srv_drain_phase p);

#endif /* PGKV_SRV_NODE_H */
