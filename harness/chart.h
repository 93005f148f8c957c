/*
 * chart.h - message sequence charts of runs, as SVG (docs/reports.md,
 * "Message sequence charts").
 *
 * Replicas, their twin instances and clients are lanes (columns), virtual
 * time runs down the page, messages are arrows labelled by type and (when
 * the frames are known) view and sequence; drops end in an X, rejections at
 * ingress in a bar, frames the adversary tampered with, re-signed or
 * injected are drawn in another colour; commits, view entries, timers,
 * crashes, restarts and broken output rules are marks on the lanes; the
 * commits of an agreement violation are highlighted (class "bzc-conflict",
 * ids PREFIX-conflict-K). Byzantine lanes are shaded. A long run is
 * windowed around its first violation, and the header says what is shown.
 *
 * The output is one <svg> element (no XML declaration), standalone-valid
 * XML and inlinable in HTML; every id starts with the prefix, and it has no
 * <style> element (presentation attributes only), so several charts can
 * share one page.
 */
#ifndef BYZ_CHART_H
#define BYZ_CHART_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CHART_DEFAULT_ARROWS 300
#define CHART_MAX_ARROWS     100000

struct chart_opts {
	/* prefix of every id in the SVG (markers, etc.) so several charts
	 * can be inlined in one HTML page without clashes; NULL: "c".
	 * Characters other than letters, digits, '-' and '_' become '_'. */
	const char *id_prefix;
	/* window: at most this many message arrows drawn (0: 300) */
	uint32_t max_arrows;
	/* of those, at most this many after the violation (0: a tenth of
	 * max_arrows, at least 5) */
	uint32_t after_arrows;
	/* the chart's title; NULL: the failure's id or the trace's file */
	const char *title;
};

/* A failure file (the JSON the campaigns and shrink write): its scenario
 * is replayed in the simulator, and the run drawn. */
int chart_from_failure(const char *path, const struct chart_opts *o, FILE *svg,
		       char *why, size_t whylen);
/* A trace file (docs/trace.md), drawn from its lines alone (message types
 * only, no view/sequence labels unless the trace has them). */
int chart_from_trace(const char *path, const struct chart_opts *o, FILE *svg,
		     char *why, size_t whylen);
/* Write the chart of a failure file to svg_path atomically
 * (lib/outfile.h). */
int chart_write_failure(const char *failure_path, const char *svg_path,
			const struct chart_opts *o, char *why, size_t whylen);

/* What a file holds, told by its content: a failure file (JSON with
 * "byzlab_failure"), a trace (JSON Lines whose first line has "ev"), or
 * neither (BYZ_EINVAL, or BYZ_EIO if it cannot be read, with why). */
enum chart_input { CHART_FAILURE = 1, CHART_TRACE = 2 };
int chart_input_kind(const char *path, enum chart_input *kind, char *why,
		     size_t whylen);

/*
 * The window (exposed for the unit tests): of `total` messages, the
 * `anchor`-th (0-based: messages before the violation) is where the
 * violation is; choose [*lo, *hi) of at most max messages, with at most
 * `after` of them at or after anchor, and as many before as fit.
 */
void chart_window(uint64_t total, uint64_t anchor, uint32_t max, uint32_t after,
		  uint64_t *lo, uint64_t *hi);
/* The vertical gap (pixels) before an event dt microseconds after the
 * previous one: base plus dt at 20 px per millisecond, capped at 40 px;
 * *broken says the gap was compressed (a longer idle time). */
unsigned chart_gap(unsigned base, uint64_t dt_us, int *broken);

#endif
