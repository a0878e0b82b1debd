/* recent.c and recent_ogg.c: a copy holds exactly the newest packets the
 * store still has, byte for byte, however the words wrap; a reader racing
 * the writer at full speed (also under TSan) never gets a torn packet; the
 * writer's cost per packet is measured (printed, not asserted); and a copy
 * of real Opus packets makes an Ogg Opus file a strict reader accepts and
 * libopusfile decodes to exactly its packets' length, less the pre-skip. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stream/stream.h"
#include "support/decode.h"
#include "support/harness.h"
#include "support/oggcheck.h"

/* Packet seq: a length from 1 to 300 and bytes that name it. */
static uint32_t packet_len(uint64_t seq) { return 1 + (uint32_t)((seq * 7919u) % 300u); }
static void make_packet(uint64_t seq, unsigned char *out) {
  for (uint32_t i = 0; i < packet_len(seq); i++) out[i] = (unsigned char)(seq * 131u + i * 7u);
}

/* Every packet of the copy is the one its seq names: 0 or the bad index + 1. */
static uint32_t check_copy(const lull_recent_copy *c) {
  const unsigned char *p = (const unsigned char *)c->words;
  unsigned char want[300];
  for (uint32_t i = 0; i < c->count; i++) {
    uint64_t seq = c->first + i;
    make_packet(seq, want);
    if (c->lens[i] != packet_len(seq) || memcmp(p, want, c->lens[i]) != 0) return i + 1;
    p += (c->lens[i] + 7u) / 8u * 8u;
  }
  return 0;
}

static void test_copy_is_the_newest_packets_however_the_words_wrap(void **state) {
  (void)state;
  lull_recent r;
  /* One second at 24 kbit/s: 50 packets' index, about 4 KB of words, so
   * packets of ~150 bytes wrap the words long before the index. */
  ASSERT_EQ_INT(lull__recent_init(&r, 1, 24000), LULL_OK);
  lull_recent_copy c;
  ASSERT_EQ_INT(lull__recent_copy(&r, 100, &c), LULL_OK);
  ASSERT_EQ_INT(c.count, 0);
  lull__recent_copy_free(&c);
  unsigned char buf[300];
  uint64_t bytes_cap = r.words_cap * 8;
  for (uint64_t seq = 0; seq < 1000; seq++) {
    make_packet(seq, buf);
    lull__recent_append(&r, buf, packet_len(seq));
    ASSERT_EQ_INT(lull__recent_packets(&r), seq + 1);
    ASSERT_EQ_INT(lull__recent_copy(&r, 60, &c), LULL_OK);
    ASSERT_EQ_INT(check_copy(&c), 0);
    ASSERT_EQ_INT(c.first + c.count, seq + 1); /* always up to the newest */
    ASSERT_TRUE(c.count >= 1 && c.count <= 60);
    /* As many as fit: the packet before the first would not have. */
    uint64_t held = 0;
    for (uint32_t i = 0; i < c.count; i++) held += (c.lens[i] + 7u) / 8u * 8u;
    if (c.count < 60 && c.first > 0) ASSERT_TRUE(held + (packet_len(c.first - 1) + 7u) / 8u * 8u + 1280 > bytes_cap);
    lull__recent_copy_free(&c);
  }
  /* Fewer asked, fewer given; lengths outside 1..1275 are not packets. */
  ASSERT_EQ_INT(lull__recent_copy(&r, 3, &c), LULL_OK);
  ASSERT_EQ_INT(c.count, 3);
  ASSERT_EQ_INT(c.first, 997);
  lull__recent_copy_free(&c);
  lull__recent_append(&r, buf, 0);
  lull__recent_append(&r, buf, 1276);
  ASSERT_EQ_INT(lull__recent_packets(&r), 1000);
  lull__recent_free(&r);
  ASSERT_EQ_INT(lull__recent_init(&r, 0, 96000), LULL_EINVAL);
  ASSERT_EQ_INT(lull__recent_init(&r, 30 * 60 + 1, 96000), LULL_EINVAL);
  lull__recent_free(&r);
}

/* Ten minutes at 96 kbit/s: what a station's store costs. */
static void test_memory_and_writer_cost(void **state) {
  (void)state;
  lull_recent r;
  ASSERT_EQ_INT(lull__recent_init(&r, 600, 96000), LULL_OK);
  size_t mem = lull__recent_memory(&r);
  printf("# 10 minutes at 96 kbit/s: %.2f MB (%.1f MiB)\n", (double)mem / 1e6, (double)mem / 1048576.0);
  ASSERT_LE(mem, 9.5e6);
  ASSERT_GE((double)r.words_cap * 8, 600.0 * 12000.0 * 1.1); /* the bit rate and room above it */
  /* The writer's cost: 240-byte packets (96 kbit/s), a million of them. */
  unsigned char pkt[240];
  memset(pkt, 0x5a, sizeof pkt);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < 1000000; i++) {
    pkt[0] = (unsigned char)i;
    lull__recent_append(&r, pkt, sizeof pkt);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e6;
  printf("# append: %.0f ns a 240-byte packet (a frame's budget is 20,000,000 ns)\n", ns);
  /* A whole ten-minute copy, as a download takes it. */
  lull_recent_copy c;
  clock_gettime(CLOCK_MONOTONIC, &a);
  ASSERT_EQ_INT(lull__recent_copy(&r, 30000, &c), LULL_OK);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("# copy of %u packets: %.2f ms\n", c.count,
         ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6));
  ASSERT_EQ_INT(c.count, 30000);
  lull__recent_copy_free(&c);
  lull__recent_free(&r);
}

typedef struct shared {
  lull_recent r;
  _Atomic int done;
} shared;

typedef struct reader_arg {
  shared *sh;
  uint32_t want;
  uint64_t copies, packets, bad, short_copies;
} reader_arg;

static void *reader(void *p) {
  reader_arg *a = p;
  while (!atomic_load(&a->sh->done)) {
    lull_recent_copy c;
    if (lull__recent_copy(&a->sh->r, a->want, &c) != LULL_OK) continue;
    a->bad += check_copy(&c) != 0;
    a->copies++;
    a->packets += c.count;
    a->short_copies += c.count < a->want;
    lull__recent_copy_free(&c);
  }
  return NULL;
}

/* The writer at full speed (a station writes every 20 ms: ~10^5 times
 * slower), readers copying all the while: copies may come out short (the
 * writer overwrote their oldest packets as they read), never wrong. */
static void test_writer_and_readers_race(void **state) {
  (void)state;
  shared *sh = calloc(1, sizeof *sh);
  ASSERT_EQ_INT(lull__recent_init(&sh->r, 2, 24000), LULL_OK);
  unsigned char buf[300];
  for (uint64_t seq = 0; seq < 200; seq++) make_packet(seq, buf), lull__recent_append(&sh->r, buf, packet_len(seq));
  pthread_t t[3];
  reader_arg a[3] = {{sh, 40, 0, 0, 0, 0}, {sh, 20, 0, 0, 0, 0}, {sh, 1, 0, 0, 0, 0}};
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, reader, &a[i]);
  const uint64_t n = getenv("LULL_TEST_SHORT") ? 20000 : 100000;
  for (uint64_t seq = 200; seq < n; seq++) {
    make_packet(seq, buf);
    lull__recent_append(&sh->r, buf, packet_len(seq));
    if (seq % 64 == 0) sched_yield();
  }
  atomic_store(&sh->done, 1);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 3; i++) {
    printf("# reader %d: %llu copies, %llu packets, %llu short, %llu bad\n", i, (unsigned long long)a[i].copies,
           (unsigned long long)a[i].packets, (unsigned long long)a[i].short_copies, (unsigned long long)a[i].bad);
    ASSERT_GE(a[i].copies, 1);
    ASSERT_EQ_INT(a[i].bad, 0);
  }
  lull__recent_free(&sh->r);
  free(sh);
}

/* Opus packets of a quiet sine, from the station's encoder. */
static void on_packet(void *user, const unsigned char *data, uint32_t len) { lull__recent_append(user, data, len); }

static void fill_with_opus(lull_recent *r, uint32_t frames) {
  lull_encoder *e;
  lull_encoder_sink sink = {on_packet, NULL, r};
  lull_diag d = {{0}, {0}};
  ASSERT_EQ_INT(lull__encoder_create(NULL, &sink, &e, &d), LULL_OK);
  static float pcm[2 * 960];
  for (uint32_t f = 0; f < frames; f++) {
    for (int i = 0; i < 960; i++) pcm[2 * i] = pcm[2 * i + 1] = 0.25f * sinf(6.2831853f * 440.0f * (float)(f * 960 + i) / 48000.0f);
    ASSERT_EQ_INT(lull__encoder_write(e, pcm, 960), LULL_OK);
  }
  lull__encoder_destroy(e);
}

/* The whole file in reads of cap bytes. */
static unsigned char *read_file(lull_recent_file *f, size_t cap, size_t *len) {
  size_t size = (size_t)lull__recent_file_size(f), n = 0;
  unsigned char *out = malloc(size + cap);
  for (size_t got; (got = lull__recent_file_read(f, out + n, cap)) > 0;) n += got;
  *len = n;
  return out;
}

static void test_file_is_valid_ogg_opus_and_decodes_to_its_length(void **state) {
  (void)state;
  lull_recent r;
  ASSERT_EQ_INT(lull__recent_init(&r, 60, 96000), LULL_OK);
  fill_with_opus(&r, 700); /* 14 s */
  /* The last 10 seconds, as a download of minutes=... would take them. */
  lull_recent_copy c;
  ASSERT_EQ_INT(lull__recent_copy(&r, 500, &c), LULL_OK);
  ASSERT_EQ_INT(c.count, 500);
  lull_recent_file *f;
  const char *title = "Night \"room\" — ナイト";
  ASSERT_EQ_INT(lull__recent_file_open(&c, title, 0x1234abcd, &f), LULL_OK);
  ASSERT_TRUE(c.words == NULL); /* taken */
  ASSERT_NEAR(lull__recent_file_seconds(f), (500 * 960 - 3840) / 48000.0, 1e-9);
  size_t len;
  unsigned char *file = read_file(f, 65536, &len);
  ASSERT_EQ_INT(len, lull__recent_file_size(f)); /* the Content-Length is the truth */
  ASSERT_EQ_INT(lull__recent_file_read(f, file, 65536), 0);
  ogg_report rep;
  char why[200] = "";
  if (ogg_check(file, len, &rep, why, sizeof why)) fail_msg("%s", why);
  ASSERT_EQ_INT(rep.serial, 0x1234abcd);
  ASSERT_EQ_INT(rep.preskip, 3840);
  ASSERT_STR_EQ(rep.title, title);
  ASSERT_EQ_INT(rep.packets, 500);
  ASSERT_EQ_INT(rep.first_granule, rep.first_packets * 960u);
  ASSERT_GE(rep.first_granule, rep.preskip); /* the first page already plays */
  ASSERT_EQ_INT(rep.last_granule, 500 * 960);
  decoded d;
  ASSERT_EQ_INT(decode_ogg_opus(file, len, &d), 0);
  ASSERT_EQ_INT(d.holes, 0);
  ASSERT_NEAR(d.seconds, (500 * 960 - 3840) / 48000.0, 1e-9); /* to the sample */
  ASSERT_NEAR(d.rms, 0.25 / sqrt(2.0), 0.02);                  /* the sine, not silence */
  free(file);
  lull__recent_file_free(f);
  /* Reads smaller than a page still make progress once they hold one. */
  ASSERT_EQ_INT(lull__recent_copy(&r, 700, &c), LULL_OK);
  ASSERT_EQ_INT(lull__recent_file_open(&c, "main", 1, &f), LULL_OK);
  unsigned char *whole = read_file(f, 16000, &len);
  ASSERT_EQ_INT(len, lull__recent_file_size(f));
  if (ogg_check(whole, len, &rep, why, sizeof why)) fail_msg("%s", why);
  ASSERT_EQ_INT(rep.packets, 700);
  free(whole);
  lull__recent_file_free(f);
  /* Too little to play: refused, the copy left to its owner. */
  ASSERT_EQ_INT(lull__recent_copy(&r, 4, &c), LULL_OK);
  ASSERT_EQ_INT(lull__recent_file_open(&c, "main", 1, &f), LULL_EINVAL);
  ASSERT_EQ_INT(c.count, 4);
  lull__recent_copy_free(&c);
  lull__recent_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_copy_is_the_newest_packets_however_the_words_wrap),
      cmocka_unit_test(test_memory_and_writer_cost),
      cmocka_unit_test(test_writer_and_readers_race),
      cmocka_unit_test(test_file_is_valid_ogg_opus_and_decodes_to_its_length),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
