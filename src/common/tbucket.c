/* tbucket — see tbucket.h. */
#include "common/tbucket.h"

#define NANO 1000000000LL

static void
tb_refill(struct tbucket *tb, int64_t now_us)
{
	int64_t dt = now_us - tb->last_us;

	if (dt <= 0)
		return;	/* a clock that went backwards adds nothing */
	if (dt > 1000000000LL)
		dt = 1000000000LL;	/* bounded: avoids overflow after long idle */
	tb->tokens_nano += dt * tb->rate_milli;
	if (tb->tokens_nano > tb->burst_nano)
		tb->tokens_nano = tb->burst_nano;
	tb->last_us = now_us;
}

void
tb_init(struct tbucket *tb, double qps, int burst, int64_t now_us)
{
	tb->rate_milli = (int64_t)(qps * 1000.0 + 0.5);
	if (tb->rate_milli < 1)
		tb->rate_milli = 1;
	tb->burst_nano = (int64_t)(burst < 1 ? 1 : burst) * NANO;
	tb->tokens_nano = tb->burst_nano;
	tb->last_us = now_us;
}

void
tb_set_rate(struct tbucket *tb, double qps, int burst, int64_t now_us)
{
	tb_refill(tb, now_us);
	tb->rate_milli = (int64_t)(qps * 1000.0 + 0.5);
	if (tb->rate_milli < 1)
		tb->rate_milli = 1;
	tb->burst_nano = (int64_t)(burst < 1 ? 1 : burst) * NANO;
	if (tb->tokens_nano > tb->burst_nano)
		tb->tokens_nano = tb->burst_nano;
}

int
tb_take(struct tbucket *tb, int64_t now_us)
{
	tb_refill(tb, now_us);
	if (tb->tokens_nano < NANO)
		return 0;
	tb->tokens_nano -= NANO;
	return 1;
}

int64_t
tb_delay_us(struct tbucket *tb, int64_t now_us)
{
	int64_t missing;

	tb_refill(tb, now_us);
	missing = NANO - tb->tokens_nano;
	if (missing <= 0)
		return 0;
	/* rate_milli nano-tokens arrive per microsecond; round up. */
	return (missing + tb->rate_milli - 1) / tb->rate_milli;
}
