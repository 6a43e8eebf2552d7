/*
 * pgw_transport.c -- socket / TLS byte stream (see pgw_transport.h).
 */
#include "pgwire/pgw_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "pgwire/pgw_auth.h"

void
pgw_tr_init(pgw_transport *t, int fd)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	pthread_mutex_init(&t->mu, NULL);
}

static void
ssl_error_text(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	if (e == 0)
		snprintf(buf, len, "%s", errno ? strerror(errno) : "connection closed");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

cm_status
pgw_tr_start_tls(pgw_transport *t, SSL_CTX *ctx, cm_error *err)
{
	t->ssl = SSL_new(ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, t->fd) != 1)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "could not initialize SSL connection");
	ERR_clear_error();
	int r = SSL_accept(t->ssl);
	if (r != 1) {
		char msg[256];
		ssl_error_text(msg, sizeof(msg));
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "could not accept SSL connection: %s", msg);
	}
	/* From here on two threads share the SSL object: non-blocking + mutex. */
	int fl = fcntl(t->fd, F_GETFL);
	fcntl(t->fd, F_SETFL, fl | O_NONBLOCK);
	return CM_OK;
}

static void
wait_fd(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

ssize_t
pgw_tr_read(pgw_transport *t, void *buf, size_t len)
{
	if (t->ssl == NULL) {
		for (;;) {
			ssize_t n = recv(t->fd, buf, len, 0);
			if (n < 0 && errno == EINTR)
				continue;
			return n;
		}
	}
	for (;;) {
		pthread_mutex_lock(&t->mu);
		ERR_clear_error();
		int n = SSL_read(t->ssl, buf, (int) (len > 1 << 30 ? 1 << 30 : len));
		int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, n);
		pthread_mutex_unlock(&t->mu);
		if (n > 0)
			return n;
		if (e == SSL_ERROR_WANT_READ)
			wait_fd(t->fd, POLLIN);
		else if (e == SSL_ERROR_WANT_WRITE)
			wait_fd(t->fd, POLLOUT);
		else if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		else
			return (e == SSL_ERROR_SYSCALL && n == 0) ? 0 : -1;
	}
}

cm_status
pgw_tr_write_all(pgw_transport *t, const void *data, size_t len)
{
	const char *p = data;
	if (t->write_failed)
		return CM_ERROR;
	while (len > 0) {
		if (t->ssl == NULL) {
			ssize_t n = send(t->fd, p, len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					wait_fd(t->fd, POLLOUT);
					continue;
				}
				t->write_failed = true;
				return CM_ERROR;
			}
			p += n;
			len -= (size_t) n;
			continue;
		}
		pthread_mutex_lock(&t->mu);
		ERR_clear_error();
		int n = SSL_write(t->ssl, p, (int) (len > 1 << 30 ? 1 << 30 : len));
		int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, n);
		pthread_mutex_unlock(&t->mu);
		if (n > 0) {
			p += n;
			len -= (size_t) n;
		} else if (e == SSL_ERROR_WANT_WRITE)
			wait_fd(t->fd, POLLOUT);
		else if (e == SSL_ERROR_WANT_READ)
			wait_fd(t->fd, POLLIN);
		else {
			t->write_failed = true;
			return CM_ERROR;
		}
	}
	return CM_OK;
}

void
pgw_tr_shutdown_read(pgw_transport *t)
{
	shutdown(t->fd, SHUT_RD);
}

void
pgw_tr_close(pgw_transport *t)
{
	if (t->ssl) {
		pthread_mutex_lock(&t->mu);
		SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
		t->ssl = NULL;
		pthread_mutex_unlock(&t->mu);
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	pthread_mutex_destroy(&t->mu);
}

cm_status
pgw_tls_context_new(const char *dir, SSL_CTX **out, unsigned char *cert_hash, size_t *cert_hash_len,
					cm_error *err)
{
	char crt[4096], key[4096], ca[4096];
	snprintf(crt, sizeof(crt), "%s/node.crt", dir);
	snprintf(key, sizeof(key), "%s/node.key", dir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "could not create TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	char msg[256];
	if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1) {
		ssl_error_text(msg, sizeof(msg));
		SSL_CTX_free(ctx);
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "could not load server certificate file \"%s\": %s", crt, msg);
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error_text(msg, sizeof(msg));
		SSL_CTX_free(ctx);
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "could not load private key file \"%s\": %s", key, msg);
	}
	if (access(ca, R_OK) == 0)
		SSL_CTX_load_verify_locations(ctx, ca, NULL);
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	if (pgw_tls_server_end_point(cert, cert_hash, cert_hash_len, err) != CM_OK) {
		SSL_CTX_free(ctx);
		return CM_ERROR;
	}
	*out = ctx;
	return CM_OK;
}
