/* A station's picture (artwork.h): a calm night scene in the page's
 * colours. Everything is drawn in coordinates of the unit square, so every
 * size shows the same picture; edges (the moon's, the hills') are
 * anti-aliased with a few blended palette entries each. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lull/params.h"
#include "server/artwork.h"

const int lull__artwork_sizes[LULL_ARTWORK_SIZES] = {96, 128, 192, 256, 384, 512};

/* How bright each mode sounds, 0..1: web/cards.mjs BRIGHTNESS, by lull_mode. */
static const double brightness[LULL_MODE_COUNT] = {
    [LULL_MODE_IONIAN] = 0.8,  [LULL_MODE_DORIAN] = 0.45,     [LULL_MODE_PHRYGIAN] = 0,
    [LULL_MODE_LYDIAN] = 1,    [LULL_MODE_MIXOLYDIAN] = 0.6,  [LULL_MODE_AEOLIAN] = 0.2,
    [LULL_MODE_PENTA_MAJOR] = 0.75, [LULL_MODE_PENTA_MINOR] = 0.3,
};

static double mode_brightness(int mode) { return mode >= 0 && mode < LULL_MODE_COUNT ? brightness[mode] : 0.5; }

/* cardColour(): the key's place on the circle of fifths picks the hue (30
 * degrees a fifth, from 200), the mode the lightness (16..32 %). */
void lull__artwork_colour(int key, int mode, int *hue, int *light) {
  int fifths = key >= 0 && key < 12 ? key * 7 % 12 : 0;
  *hue = (200 + fifths * 30) % 360;
  *light = (int)lround(16 + 16 * mode_brightness(mode));
}

typedef struct rgbf {
  double r, g, b;
} rgbf;

/* CSS hsl() (CSS Color 4's hslToRgb): h in degrees, s and l 0..1. */
static rgbf hsl(double h, double s, double l) {
  double a = s * fmin(l, 1 - l), c[3];
  static const double n[3] = {0, 8, 4}; /* red, green, blue */
  for (int i = 0; i < 3; i++) {
    double k = fmod(n[i] + fmod(fmod(h, 360) + 360, 360) / 30, 12);
    c[i] = l - a * fmax(-1, fmin(fmin(k - 3, 9 - k), 1));
  }
  return (rgbf){c[0], c[1], c[2]};
}

static rgbf mix(rgbf a, rgbf b, double t) {
  return (rgbf){a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

static void set(unsigned char *rgb, int i, rgbf c) {
  rgb[3 * i] = (unsigned char)lround(fmin(1, fmax(0, c.r)) * 255);
  rgb[3 * i + 1] = (unsigned char)lround(fmin(1, fmax(0, c.g)) * 255);
  rgb[3 * i + 2] = (unsigned char)lround(fmin(1, fmax(0, c.b)) * 255);
}

/* The palette's parts. */
enum {
  SKY = 0, N_SKY = 128,            /* the sky, top to horizon */
  STAR = SKY + N_SKY,              /* stars */
  MOON,                            /* the moon, and its edge: */
  MOON_EDGE,                       /* 3 blends with the sky behind it */
  HILL = MOON_EDGE + 3, N_HILLS = 4, /* hills, far to near */
  HILL_EDGE = HILL + N_HILLS,      /* 3 blends of hill j with each of what can be behind: the sky, hills 0..j-1 */
  N_COLOURS = HILL_EDGE + 3 * (N_HILLS * (N_HILLS + 1) / 2),
};
_Static_assert(N_COLOURS <= 256, "an 8-bit palette");

#define HORIZON 0.66 /* where the sky's gradient ends, as a fraction of the height */

static int sky_index(double v) {
  int i = (int)(v / HORIZON * N_SKY);
  return i < 0 ? SKY : i >= N_SKY ? SKY + N_SKY - 1 : SKY + i;
}

static uint32_t fnv1a(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* A number 0..1 from the name's hash and a salt (xorshift). */
static double hashed(uint32_t h, uint32_t salt) {
  uint32_t x = h ^ (salt * 2654435761u);
  x ^= x << 13, x ^= x >> 17, x ^= x << 5;
  return (x >> 8) / 16777216.0;
}

/* The edge of hill j at u (0..1 across): its height as a fraction of the image's. */
static double hill_top(int j, double u, double b, uint32_t h, int fifths) {
  double base = 0.62 + 0.095 * j, amp = 0.03 + 0.014 * j;
  double f1 = (1.0 + 0.5 * j) * (1.3 - 0.5 * b), f2 = 2.3 + 0.8 * j;
  double p1 = hashed(h, 2u * (unsigned)j + 1) + fifths / 12.0, p2 = hashed(h, 2u * (unsigned)j + 2);
  return base - amp * (0.65 * sin(2 * M_PI * (f1 * u + p1)) + 0.35 * sin(2 * M_PI * (f2 * u + p2)));
}

int lull__artwork_draw(const char *name, int key, int mode, int size, unsigned char *index, unsigned char rgb[768]) {
  int hue, light;
  lull__artwork_colour(key, mode, &hue, &light);
  double b = mode_brightness(mode), l = light / 100.0, n = size;
  int fifths = key >= 0 && key < 12 ? key * 7 % 12 : 0;
  uint32_t h = fnv1a(name);

  /* The palette. */
  rgbf top = hsl(hue, 0.45, l * 0.4), glow = hsl(hue + 20, 0.45, l + 0.1);
  for (int i = 0; i < N_SKY; i++) set(rgb, SKY + i, mix(top, glow, pow((i + 0.5) / N_SKY, 1.7)));
  set(rgb, STAR, mix(top, hsl(hue, 0.3, 0.85), 0.55));
  double mx = 0.2 + 0.6 * fifths / 11.0, my = 0.4 - 0.2 * b, mr = 0.085;
  rgbf moon = hsl(hue + 30, 0.55, 0.8), behind_moon = mix(top, glow, pow(my / HORIZON, 1.7));
  set(rgb, MOON, moon);
  for (int a = 0; a < 3; a++) set(rgb, MOON_EDGE + a, mix(behind_moon, moon, (a + 1) / 4.0));
  rgbf hill[N_HILLS];
  for (int j = 0; j < N_HILLS; j++) {
    hill[j] = hsl(hue - 10 * j, 0.3, l * (0.95 - 0.2 * j));
    set(rgb, HILL + j, hill[j]);
  }
  for (int j = 0, e = HILL_EDGE; j < N_HILLS; j++)
    for (int k = -1; k < j; k++) /* -1: the sky, at the hill's crests */
      for (int a = 0; a < 3; a++, e++)
        set(rgb, e, mix(k < 0 ? mix(top, glow, pow((0.58 + 0.095 * j) / HORIZON, 1.7)) : hill[k], hill[j], (a + 1) / 4.0));

  /* The sky, a row at a time. */
  for (int y = 0; y < size; y++) memset(index + (size_t)y * (size_t)size, sky_index((y + 0.5) / n), (size_t)size);
  /* Stars in the darker modes: the fewer, the brighter the mode. */
  int stars = (int)lround(24 * (1 - b)), dot = size >= 256 ? 2 : 1;
  for (int s = 0; s < stars; s++) {
    int x = (int)(hashed(h, 100u + (unsigned)s) * (n - dot)), y = (int)(hashed(h, 200u + (unsigned)s) * 0.45 * n);
    for (int dy = 0; dy < dot; dy++) memset(index + (size_t)(y + dy) * (size_t)size + x, STAR, (size_t)dot);
  }
  /* The moon, 4 x 4 samples a pixel at its edge; below half brightness a
   * crescent (the disc less one moved up and right). */
  int crescent = b < 0.5;
  for (int y = (int)((my - mr) * n) - 1; y <= (int)((my + mr) * n) + 1; y++)
    for (int x = (int)((mx - mr) * n) - 1; x <= (int)((mx + mr) * n) + 1; x++) {
      if (x < 0 || y < 0 || x >= size || y >= size) continue;
      int in = 0;
      for (int sy = 0; sy < 4; sy++)
        for (int sx = 0; sx < 4; sx++) {
          double u = (x + (sx + 0.5) / 4) / n - mx, v = (y + (sy + 0.5) / 4) / n - my;
          double cu = u - 0.42 * mr, cv = v + 0.18 * mr;
          in += u * u + v * v < mr * mr && !(crescent && cu * cu + cv * cv < 0.8 * mr * mr);
        }
      if (in) index[(size_t)y * (size_t)size + x] = (unsigned char)(in == 16 ? MOON : MOON_EDGE + (in - 1) * 3 / 15);
    }
  /* The hills, far to near; the pixel their edge crosses blends with what was there. */
  for (int j = 0, edges = HILL_EDGE; j < N_HILLS; edges += 3 * (j + 1), j++)
    for (int x = 0; x < size; x++) {
      double top_px = hill_top(j, (x + 0.5) / n, b, h, fifths) * n;
      int y0 = (int)floor(top_px);
      if (y0 < 0) y0 = 0;
      for (int y = y0 + 1; y < size; y++) index[(size_t)y * (size_t)size + x] = (unsigned char)(HILL + j);
      if (y0 >= size) continue;
      double cover = y0 + 1 - top_px; /* of the edge's pixel */
      int a = (int)(cover * 4) - 1;
      unsigned char *p = index + (size_t)y0 * (size_t)size + x;
      if (a >= 3) *p = (unsigned char)(HILL + j);
      else if (a >= 0) {
        int k = *p >= HILL && *p < HILL + j ? *p - HILL : -1;
        *p = (unsigned char)(edges + 3 * (k + 1) + a);
      }
    }
  return N_COLOURS;
}
