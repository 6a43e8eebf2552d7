/*
 * cm_version.h -- the PostgreSQL version pgkv presents to clients, in one
 * place: server_version / server_version_num (ParameterStatus, SHOW) and
 * version() must agree, because drivers and psql parse them.
 */
#ifndef PGKV_CM_VERSION_H
#define PGKV_CM_VERSION_H

#define PGKV_PG_VERSION "15.8"
#define PGKV_PG_VERSION_NUM "150008"

#endif /* PGKV_CM_VERSION_H */
