// The floor: what relaying one small event costs a process on this machine when it does nothing
// else, to set the handler's CPU per event beside (bench/README.md, "The floor"). No Rust, no
// runtime: `cc -O2 -o target/floor bench/floor.c -lpthread`. Two roles in one binary:
//
//   floor drive EVENTS INTERVAL_US -- RELAY_COMMAND...
//     listens on two loopback ports, starts RELAY_COMMAND with the two ports appended, sends
//     EVENTS upstream events of 160 bytes (TCP_NODELAY, one send each, one every INTERVAL_US
//     microseconds on an absolute clock; 0 = back to back), reads everything the relay writes
//     downstream (a socket left as a default server leaves it: Nagle and delayed ACKs on),
//     checks the byte count, and prints the relay's own figures.
//
//   floor relay epoll|blocking UP_PORT DOWN_PORT
//     connects to both, then per upstream event: (epoll_wait,) recv, one writev of a chunked
//     frame (size line, a 60-byte NDJSON line, CRLF) to the downstream socket (TCP_NODELAY).
//     Reports its CPU (getrusage and /proc/self/schedstat) from the first byte to EOF.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UP_EVENT 160
#define DOWN_LINE 60

static void die(const char *what) { perror(what); exit(1); }

static int listener(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, (void *)&a, sizeof a) || listen(fd, 1) || getsockname(fd, (void *)&a, &len)) die("listen");
  *port = ntohs(a.sin_port);
  return fd;
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || connect(fd, (void *)&a, sizeof a)) die("connect");
  return fd;
}

static unsigned long long schedstat_ns(void) {
  unsigned long long ns = 0;
  FILE *f = fopen("/proc/self/schedstat", "r");
  if (!f || fscanf(f, "%llu", &ns) != 1) die("schedstat");
  fclose(f);
  return ns;
}

static double tv_ms(struct timeval t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; }

static int relay(const char *mode, int up_port, int down_port) {
  int epoll = strcmp(mode, "epoll") == 0;
  int up = connect_to(up_port), down = connect_to(down_port), one = 1;
  setsockopt(down, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = up}, out;
  if (epoll && epoll_ctl(ep, EPOLL_CTL_ADD, up, &ev)) die("epoll_ctl");
  static char buf[65536];
  char line[DOWN_LINE], size[16];
  memset(line, 'x', sizeof line);
  line[0] = '{';
  line[DOWN_LINE - 2] = '}';
  line[DOWN_LINE - 1] = '\n';
  int size_len = snprintf(size, sizeof size, "%x\r\n", DOWN_LINE);
  struct iovec iov[3] = {{size, size_len}, {line, DOWN_LINE}, {"\r\n", 2}};
  size_t pending = 0;
  long events = 0, reads = 0;
  struct rusage r0, r1;
  unsigned long long s0 = 0;
  for (;;) {
    if (epoll && epoll_wait(ep, &out, 1, -1) < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    ssize_t n = recv(up, buf, sizeof buf, 0);
    if (n < 0) die("recv");
    if (n == 0) break;
    if (reads++ == 0) {  // measured from the first byte on
      getrusage(RUSAGE_SELF, &r0);
      s0 = schedstat_ns();
    }
    pending += n;
    for (; pending >= UP_EVENT; pending -= UP_EVENT, events++) {
      if (writev(down, iov, 3) != size_len + DOWN_LINE + 2) die("writev");
    }
  }
  getrusage(RUSAGE_SELF, &r1);
  unsigned long long s1 = schedstat_ns();
  // getrusage's user/system split is sampled at the tick; its sum and schedstat are exact.
  double on_cpu = (s1 - s0) / 1e6,
         rusage = tv_ms(r1.ru_utime) + tv_ms(r1.ru_stime) - tv_ms(r0.ru_utime) - tv_ms(r0.ru_stime);
  printf("relay %s: %ld events, %ld reads, on-CPU %.2f ms (schedstat; getrusage %.2f ms), %.2f ms per 1,000 events, "
         "%.3f voluntary + %.3f involuntary context switches per event\n",
         mode, events, reads, on_cpu, rusage, on_cpu * 1000 / events, (double)(r1.ru_nvcsw - r0.ru_nvcsw) / events,
         (double)(r1.ru_nivcsw - r0.ru_nivcsw) / events);
  return 0;
}

struct drive { int fd; long events, interval_us; long long received; };

static void *sink(void *arg) {
  struct drive *d = arg;
  static char buf[65536];
  ssize_t n;
  while ((n = read(d->fd, buf, sizeof buf)) > 0) d->received += n;
  return NULL;
}

static int drive(long events, long interval_us, char **command, int argc) {
  int up_port, down_port;
  int up_l = listener(&up_port), down_l = listener(&down_port);
  char up_s[8], down_s[8];
  snprintf(up_s, sizeof up_s, "%d", up_port);
  snprintf(down_s, sizeof down_s, "%d", down_port);
  char **argv = calloc(argc + 3, sizeof *argv);
  memcpy(argv, command, argc * sizeof *argv);
  argv[argc] = up_s;
  argv[argc + 1] = down_s;
  pid_t pid = fork();
  if (pid == 0) {
    execvp(argv[0], argv);
    die("exec");
  }
  int up = accept(up_l, NULL, NULL), one = 1;
  struct drive d = {.fd = accept(down_l, NULL, NULL), .events = events, .interval_us = interval_us};
  if (up < 0 || d.fd < 0) die("accept");
  setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  pthread_t t;
  pthread_create(&t, NULL, sink, &d);
  char event[UP_EVENT];
  memset(event, 'e', sizeof event);
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (long i = 0; i < events; i++) {
    if (interval_us) {
      next.tv_nsec += interval_us * 1000;
      while (next.tv_nsec >= 1000000000) next.tv_nsec -= 1000000000, next.tv_sec++;
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    if (send(up, event, sizeof event, 0) != sizeof event) die("send");
  }
  shutdown(up, SHUT_WR);
  int status;
  waitpid(pid, &status, 0);
  pthread_join(t, NULL);
  char size[16];
  long long expected = (long long)events * (snprintf(size, sizeof size, "%x\r\n", DOWN_LINE) + DOWN_LINE + 2);
  if (d.received != expected) {
    fprintf(stderr, "drive: received %lld bytes downstream, expected %lld\n", d.received, expected);
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "relay") == 0) return relay(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (argc >= 6 && strcmp(argv[1], "drive") == 0 && strcmp(argv[4], "--") == 0)
    return drive(atol(argv[2]), atol(argv[3]), argv + 5, argc - 5);
  fprintf(stderr, "usage: floor drive EVENTS INTERVAL_US -- RELAY_COMMAND...\n       floor relay epoll|blocking UP_PORT DOWN_PORT\n");
  return 2;
}
