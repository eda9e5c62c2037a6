/*
 * bench:media's phones: a process of their own, in C, so that the phones' 50,000-100,000
 * packets a second cost little of the two cores the PBX is measured on, and so that every
 * arrival is timed by the kernel (SO_TIMESTAMPNS) rather than by when a busy thread got
 * round to it. What is measured is then what the PBX adds, not the phones' own queueing.
 *
 *   phones <interval|latency> <sockets>
 *
 * Binds <sockets> UDP sockets on 127.0.0.1 and prints "ports P1 P2 ...". Then reads lines:
 *   stream PORT SSRC   a stream sent from the first socket to 127.0.0.1:PORT
 *   send               start sending: each stream one 172-byte µ-law RTP packet per 20 ms,
 *                      streams spread over ten 2 ms slots as independent phones would be;
 *                      the payload starts with the send time (ms since the epoch, float64 LE)
 *   measure            start counting and timing arrivals (from now on)
 *   result PATH        stop; write the samples (float64 LE, ms) to PATH; print
 *                      "result PACKETS LOST SAMPLES CPU_MS" (CPU since "measure") and exit
 * Samples: per packet, |arrival interval - RTP timestamp step / 8 kHz| ("interval"), or
 * arrival time - send time ("latency").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 8
#define SLOTS 10
#define SLOT_NS 2000000L
#define BATCH 64
#define TABLE 16384 /* open-addressed streams by SSRC; more than the bench ever has */

struct rx { uint32_t ssrc; int used; double last_at; uint16_t last_seq; uint32_t last_ts; };
struct tx { struct sockaddr_in to; uint32_t ssrc; };

static int interval_mode;
static int socks[MAX_SOCKETS];
static int nsocks;
static struct rx table[TABLE];
static struct tx *streams;
static size_t nstreams, cap_streams;
static double *samples;
static size_t nsamples, cap_samples;
static int measuring, sending;
static long packets, lost;

static double measured_from_cpu_ms;

static void die(const char *what) { perror(what); exit(1); }

static double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static double realtime_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void keep(double v) {
  if (nsamples == cap_samples) {
    cap_samples = cap_samples ? cap_samples * 2 : 1 << 16;
    if (!(samples = realloc(samples, cap_samples * sizeof *samples))) die("realloc");
  }
  samples[nsamples++] = v;
}

static struct rx *stream_of(uint32_t ssrc) {
  size_t i = (ssrc * 2654435761u) & (TABLE - 1);
  while (table[i].used && table[i].ssrc != ssrc) i = (i + 1) & (TABLE - 1);
  return &table[i];
}

static void on_packet(const uint8_t *p, size_t len, double at) {
  if (len < 12 || (p[0] >> 6) != 2) return;
  size_t off = 12 + 4 * (p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (len < off + 4) return;
    off += 4 + 4 * ((p[off + 2] << 8) | p[off + 3]);
  }
  if (len < off) return;
  uint16_t seq = (p[2] << 8) | p[3];
  uint32_t ts = ((uint32_t)p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7];
  uint32_t ssrc = ((uint32_t)p[8] << 24) | (p[9] << 16) | (p[10] << 8) | p[11];
  struct rx *s = stream_of(ssrc);
  if (!s->used) { s->used = 1; s->ssrc = ssrc; s->last_at = at; s->last_seq = seq; s->last_ts = ts; return; }
  if (measuring) {
    uint16_t gap = seq - s->last_seq;
    packets++;
    if (gap > 1 && gap < 1000) lost += gap - 1;
    if (interval_mode && gap == 1) {
      double d = (at - s->last_at) - (double)(uint32_t)(ts - s->last_ts) / 8.0;
      keep(d < 0 ? -d : d);
    }
    if (!interval_mode && len - off >= 8) {
      double sent;
      memcpy(&sent, p + off, 8); /* little-endian hosts only, as the bench is */
      keep(at - sent);
    }
  }
  s->last_at = at; s->last_seq = seq; s->last_ts = ts;
}

static void drain(int fd) {
  static uint8_t bufs[BATCH][2048];
  static union { char buf[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } ctl[BATCH];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
      msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1, .msg_control = ctl[i].buf, .msg_controllen = sizeof ctl[i].buf };
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    double fallback = realtime_ms();
    for (int i = 0; i < n; i++) {
      double at = fallback;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec t;
          memcpy(&t, CMSG_DATA(c), sizeof t);
          at = t.tv_sec * 1e3 + t.tv_nsec / 1e6;
        }
      }
      on_packet(bufs[i], msgs[i].msg_len, at);
    }
    if (n < BATCH) return;
  }
}

/* One slot's share of the streams, sent in batches with sendmmsg. */
static void send_slot(int slot, uint16_t seq, uint32_t ts) {
  static uint8_t pkts[BATCH][172];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  int n = 0;
  for (size_t i = slot; i < nstreams; i += SLOTS) {
    uint8_t *p = pkts[n];
    uint32_t ssrc = streams[i].ssrc;
    double now = realtime_ms();
    p[0] = 0x80; p[1] = 0; p[2] = seq >> 8; p[3] = seq;
    p[4] = ts >> 24; p[5] = ts >> 16; p[6] = ts >> 8; p[7] = ts;
    p[8] = ssrc >> 24; p[9] = ssrc >> 16; p[10] = ssrc >> 8; p[11] = ssrc;
    memset(p + 12, 0xff, 160);
    memcpy(p + 12, &now, 8);
    iov[n] = (struct iovec){ p, 172 };
    msgs[n].msg_hdr = (struct msghdr){ .msg_name = &streams[i].to, .msg_namelen = sizeof streams[i].to, .msg_iov = &iov[n], .msg_iovlen = 1 };
    if (++n == BATCH || i + SLOTS >= nstreams) {
      for (int done = 0; done < n;) {
        int k = sendmmsg(socks[0], msgs + done, n - done, 0);
        if (k < 0) { if (errno == EINTR) continue; break; } /* a full send buffer drops, as a network would */
        done += k;
      }
      n = 0;
    }
  }
}

static void command(char *line) {
  unsigned port, ssrc;
  char path[4096];
  if (sscanf(line, "stream %u %u", &port, &ssrc) == 2) {
    if (nstreams == cap_streams && !(streams = realloc(streams, (cap_streams = cap_streams ? cap_streams * 2 : 1024) * sizeof *streams))) die("realloc");
    streams[nstreams].to = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    streams[nstreams++].ssrc = ssrc;
  } else if (!strncmp(line, "send", 4)) {
    sending = 1;
  } else if (!strncmp(line, "measure", 7)) {
    measuring = 1; packets = 0; lost = 0; nsamples = 0; measured_from_cpu_ms = cpu_ms();
  } else if (sscanf(line, "result %4095s", path) == 1) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(samples, sizeof *samples, nsamples, f) != nsamples || fclose(f)) die(path);
    printf("result %ld %ld %zu %.0f\n", packets, lost, nsamples, cpu_ms() - measured_from_cpu_ms);
    fflush(stdout);
    exit(0);
  } else {
    fprintf(stderr, "phones: unknown command: %s\n", line);
  }
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "interval") && strcmp(argv[1], "latency"))) { fprintf(stderr, "usage: phones interval|latency SOCKETS\n"); return 2; }
  interval_mode = !strcmp(argv[1], "interval");
  nsocks = atoi(argv[2]);
  if (nsocks < 1 || nsocks > MAX_SOCKETS) { fprintf(stderr, "phones: 1 to %d sockets\n", MAX_SOCKETS); return 2; }
  printf("ports");
  for (int i = 0; i < nsocks; i++) {
    int on = 1, size = 8 << 20;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if ((socks[i] = socket(AF_INET, SOCK_DGRAM, 0)) < 0) die("socket");
    setsockopt(socks[i], SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    setsockopt(socks[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(socks[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (bind(socks[i], (struct sockaddr *)&a, sizeof a) || getsockname(socks[i], (struct sockaddr *)&a, &len)) die("bind");
    printf(" %u", ntohs(a.sin_port));
  }
  printf("\n");
  fflush(stdout);

  /* Every 2 ms: send that slot's streams, then read what arrived. The phones never wake for
     a packet (that would be 100,000 wake-ups a second taken from the PBX's cores); the
     kernel's arrival stamps make reading late harmless. */
  struct pollfd in = { .fd = 0, .events = POLLIN };
  char line[8192];
  size_t have = 0;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  long tick = 0;
  uint16_t seq = 0;
  uint32_t ts = 0;
  for (;;) {
    next.tv_nsec += SLOT_NS;
    if (next.tv_nsec >= 1000000000L) { next.tv_sec++; next.tv_nsec -= 1000000000L; }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
    if (sending) {
      int slot = tick++ % SLOTS;
      if (slot == 0) { seq++; ts += 160; }
      send_slot(slot, seq, ts);
    }
    for (int i = 0; i < nsocks; i++) drain(socks[i]);
    if (poll(&in, 1, 0) > 0) {
      ssize_t n = read(0, line + have, sizeof line - 1 - have);
      if (n <= 0) return 0; /* the bench went away */
      have += n;
      line[have] = 0;
      char *start = line, *nl;
      while ((nl = strchr(start, '\n'))) { *nl = 0; command(start); start = nl + 1; }
      have = strlen(start);
      memmove(line, start, have + 1);
    }
  }
}
