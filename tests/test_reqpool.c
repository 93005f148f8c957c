/* The client request pool every pooling core shares (lib/reqpool.h): one
 * slot per client, bounded frames, executed requests not kept, a reply
 * list with each client once. */
#include "app.h"
#include "err.h"
#include "reqpool.h"

#include <criterion/criterion.h>
#include <string.h>

static uint8_t bytes[64];

static struct wire_msg req(uint32_t client, uint64_t ts, size_t len)
{
	struct wire_msg m;

	memset(&m, 0, sizeof m);
	m.u.request.client = client;
	m.u.request.timestamp = ts;
	memset(bytes, (int)ts, sizeof bytes);
	m.frame.bytes = bytes;
	m.frame.len = len;
	return m;
}

Test(reqpool, keeps_each_clients_newest_unexecuted_request)
{
	struct app_limits lim = {.max_keys = 8, .max_clients = 3};
	struct byz_reqpool p;
	struct app *app = NULL;
	const char *why = NULL;
	const uint8_t *res;
	size_t reslen;
	struct wire_msg m;

	cr_assert_eq(app_new(&lim, &app), 0);
	cr_assert_eq(byz_reqpool_init(&p, 3, 32), 0);
	m = req(1, 5, 20);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_ADDED);
	cr_assert_eq(p.count, 1);
	cr_assert_eq(p.slot[1].ts, 5);
	cr_assert_eq(p.slot[1].len, 20);
	cr_assert_eq(p.slot[1].frame[0], 5);
	p.slot[1].mark = true;
	/* not newer: nothing; newer: replaces, mark cleared, count kept */
	m = req(1, 5, 20);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_NONE);
	cr_assert(p.slot[1].mark);
	m = req(1, 7, 10);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_REPLACED);
	cr_assert_eq(p.count, 1);
	cr_assert_not(p.slot[1].mark);
	cr_assert_eq(p.slot[1].frame[0], 7);
	/* refused: a client beyond the pool, a frame above max_frame */
	m = req(3, 1, 10);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_REFUSED);
	cr_assert_str_eq(why, "client beyond max_clients");
	m = req(0, 1, 33);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_REFUSED);
	cr_assert_str_eq(why, "request too large");
	cr_assert_eq(p.count, 1);
	/* executed: done empties a slot no newer, not a newer one */
	byz_reqpool_done(&p, 1, 6);
	cr_assert_eq(p.slot[1].ts, 7);
	byz_reqpool_done(&p, 1, 7);
	cr_assert_eq(p.slot[1].ts, 0);
	cr_assert_eq(p.count, 0);
	byz_reqpool_done(&p, 1, 9); /* empty already: count stays 0 */
	cr_assert_eq(p.count, 0);
	/* a request the application executed is not kept; the newest one
	 * executed puts its client on the reply list, once */
	cr_assert_eq(
	    app_execute(app, 2, 4, (const uint8_t *)"get k", 5, &res, &reslen),
	    0);
	m = req(2, 3, 10);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_NONE);
	cr_assert_eq(p.nreply, 0);
	m = req(2, 4, 10);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_NONE);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_NONE);
	cr_assert_eq(p.nreply, 1);
	cr_assert_eq(p.reply_list[0], 2);
	byz_reqpool_want_reply(&p, 2);
	byz_reqpool_want_reply(&p, 9); /* beyond the pool: ignored */
	cr_assert_eq(p.nreply, 1);
	/* after a state transfer: executed slots emptied */
	m = req(0, 2, 10);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_ADDED);
	m = req(2, 6, 10);
	cr_assert_eq(byz_reqpool_offer(&p, app, &m, &why), BYZ_OFFER_ADDED);
	cr_assert_eq(
	    app_execute(app, 0, 2, (const uint8_t *)"get k", 5, &res, &reslen),
	    0);
	byz_reqpool_forget_executed(&p, app);
	cr_assert_eq(p.slot[0].ts, 0);
	cr_assert_eq(p.slot[2].ts, 6);
	cr_assert_eq(p.count, 1);
	byz_reqpool_free(&p);
	byz_reqpool_free(&p); /* freed twice: a zeroed pool */
	app_destroy(&app);
}

Test(reqpool, sends_each_listed_client_its_reply_once)
{
	struct app_limits lim = {.max_keys = 8, .max_clients = 4};
	struct byz_reqpool p;
	struct byz_outbox ob;
	struct app *app = NULL;
	const uint8_t *res;
	size_t reslen;
	struct wire_msg m;

	cr_assert_eq(app_new(&lim, &app), 0);
	cr_assert_eq(byz_reqpool_init(&p, 4, 64), 0);
	byz_outbox_init(&ob, 16, 1 << 16);
	cr_assert_eq(app_execute(app, 3, 2, (const uint8_t *)"put k v", 7, &res,
				 &reslen),
		     0);
	byz_reqpool_want_reply(&p, 3);
	byz_reqpool_want_reply(&p, 1); /* nothing executed: no reply */
	byz_reqpool_want_reply(&p, 3);
	cr_assert_eq(byz_reqpool_send_replies(&p, app, &ob, 2, 9), 0);
	cr_assert_eq(ob.count, 1);
	cr_assert_eq(ob.out[0].kind, BYZ_OUT_SEND);
	cr_assert_eq(ob.out[0].to, byz_client_addr(3));
	cr_assert_eq(wire_decode_unsigned(ob.bytes.data + ob.out[0].off,
					  ob.out[0].len, &m),
		     0);
	cr_assert_eq(m.frame.type, WIRE_CLIENT_REPLY);
	cr_assert_eq(m.frame.sender, 2);
	cr_assert_eq(p.nreply, 0);
	cr_assert_not(p.reply_flag[3]);
	byz_reqpool_want_reply(&p, 3); /* listed again after the send */
	cr_assert_eq(p.nreply, 1);
	byz_outbox_free(&ob);
	byz_reqpool_free(&p);
	app_destroy(&app);
}
