/* MP3 for players that cannot play Ogg/Opus (Safari, iOS lock screens):
 * libmp3lame, 128 kbit/s CBR joint stereo at 48 kHz. LAME hands out whole
 * frames, so every chunk it returns starts on a frame header and a listener
 * may join at any chunk. Quality 5 is LAME's speed/quality middle; a station
 * only pays for it while someone listens. */
#include <lame/lame.h>
#include <stdlib.h>

#include "stream/stream.h"

struct lull_mp3 {
  lame_global_flags *lame;
};

int lull__mp3_create(uint32_t bitrate, lull_mp3 **out, lull_diag *diag) {
  *out = NULL;
  lull_mp3 *m = calloc(1, sizeof *m);
  if (!m) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  m->lame = lame_init();
  if (!m->lame) {
    free(m);
    return lull_diag_set(diag, LULL_ENOMEM, "", "mp3: lame_init failed");
  }
  lame_set_in_samplerate(m->lame, 48000);
  lame_set_out_samplerate(m->lame, 48000);
  lame_set_num_channels(m->lame, 2);
  lame_set_mode(m->lame, JOINT_STEREO);
  lame_set_brate(m->lame, (int)((bitrate ? bitrate : LULL_MP3_BITRATE) / 1000));
  lame_set_quality(m->lame, 5);
  lame_set_bWriteVbrTag(m->lame, 0); /* an endless stream has no Xing header */
  if (lame_init_params(m->lame) < 0) {
    lull__mp3_destroy(m);
    return lull_diag_set(diag, LULL_EINVAL, "mp3_bitrate", "LAME refused the settings");
  }
  *out = m;
  return LULL_OK;
}

void lull__mp3_destroy(lull_mp3 *m) {
  if (!m) return;
  if (m->lame) lame_close(m->lame);
  free(m);
}

int lull__mp3_encode(lull_mp3 *m, const float *pcm, uint32_t frames, unsigned char *out, uint32_t cap) {
  int n = lame_encode_buffer_interleaved_ieee_float(m->lame, pcm, (int)frames, out, (int)cap);
  return n < 0 ? LULL_EIO : n;
}
