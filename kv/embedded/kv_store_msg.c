/*
 * kv_store_msg.c -- driver-independent helpers declared in kv/store.h.
 *
 * Lives in kv/embedded for now because the embedded store is the only
 * driver; it moves to kv/store.c with the tikv driver.  Everything here
 * works on any protobuf-c message through its descriptor, and relies on the
 * response contract of kv/store.h: every pointer below a response was
 * allocated with malloc (protobuf-c's default allocator).
 *
 * Exported: kv_store_response_clear, kv_message_dup, kv_region_free,
 * kv_regions_free, kv_context_for_region.
 */
#include "kv/store.h"

#include <stdlib.h>
#include <string.h>

static void
clear_field(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
	char *member = (char *) msg + f->offset;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = *(size_t *) ((char *) msg + f->quantifier_offset);
		void *arr = *(void **) member;
		if (!arr)
			return;
		for (size_t i = 0; i < n; i++) {
			switch (f->type) {
			case PROTOBUF_C_TYPE_STRING:
				free(((char **) arr)[i]);
				break;
			case PROTOBUF_C_TYPE_BYTES:
				free(((ProtobufCBinaryData *) arr)[i].data);
				break;
			case PROTOBUF_C_TYPE_MESSAGE:
				if (((ProtobufCMessage **) arr)[i])
					protobuf_c_message_free_unpacked(((ProtobufCMessage **) arr)[i], NULL);
				break;
			default:
				break;
			}
		}
		free(arr);
		return;
	}
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		*(uint32_t *) ((char *) msg + f->quantifier_offset) != f->id)
		return;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char *s = *(char **) member;
		if (s && s != (const char *) f->default_value && s != protobuf_c_empty_string)
			free(s);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *bd = (ProtobufCBinaryData *) member;
		const ProtobufCBinaryData *def = f->default_value;
		if (bd->data && (!def || bd->data != def->data))
			free(bd->data);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *sub = *(ProtobufCMessage **) member;
		if (sub)
			protobuf_c_message_free_unpacked(sub, NULL);
		break;
	}
	default:
		break;
	}
}

void
kv_store_response_clear(ProtobufCMessage *msg)
{
	if (!msg)
		return;
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++)
		clear_field(msg, &d->fields[i]);
	d->message_init(msg);
}

ProtobufCMessage *
kv_message_dup(const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return NULL;
	protobuf_c_message_pack(msg, buf);
	ProtobufCMessage *r = protobuf_c_message_unpack(msg->descriptor, NULL, n, buf);
	free(buf);
	return r;
}

void
kv_region_free(Metapb__Region *r)
{
	if (r)
		metapb__region__free_unpacked(r, NULL);
}

void
kv_regions_free(Metapb__Region **rs, size_t n)
{
	if (!rs)
		return;
	for (size_t i = 0; i < n; i++)
		kv_region_free(rs[i]);
	free(rs);
}

void
kv_context_for_region(Kvrpcpb__Context *ctx, Metapb__RegionEpoch *epoch_storage,
					  const Metapb__Region *r)
{
	metapb__region_epoch__init(epoch_storage);
	if (r->region_epoch) {
		epoch_storage->conf_ver = r->region_epoch->conf_ver;
		epoch_storage->version = r->region_epoch->version;
	}
	ctx->region_id = r->id;
	ctx->region_epoch = epoch_storage;
}
