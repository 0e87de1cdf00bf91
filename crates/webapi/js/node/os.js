// node:os — what a Worker can know of its host, as on Workers: nothing
// about the machine. The functions answer fixed values (platform 'linux',
// type 'Linux', arch 'x64', hostname 'localhost', homedir '/bundle',
// tmpdir '/tmp', no CPUs or network interfaces, zero memory and load,
// availableParallelism 1); EOL, devNull, endianness and the Linux
// constants (signals, errno, priority, dlopen) are real. setPriority
// throws ERR_METHOD_NOT_IMPLEMENTED. Uses no ops.

const ERRNO_TABLE = 'E2BIG:7 EACCES:13 EADDRINUSE:98 EADDRNOTAVAIL:99 EAFNOSUPPORT:97 EAGAIN:11 EALREADY:114 EBADF:9 EBADMSG:74 EBUSY:16 ECANCELED:125 ECHILD:10 ECONNABORTED:103 ECONNREFUSED:111 ECONNRESET:104 EDEADLK:35 EDESTADDRREQ:89 EDOM:33 EDQUOT:122 EEXIST:17 EFAULT:14 EFBIG:27 EHOSTUNREACH:113 EIDRM:43 EILSEQ:84 EINPROGRESS:115 EINTR:4 EINVAL:22 EIO:5 EISCONN:106 EISDIR:21 ELOOP:40 EMFILE:24 EMLINK:31 EMSGSIZE:90 EMULTIHOP:72 ENAMETOOLONG:36 ENETDOWN:100 ENETRESET:102 ENETUNREACH:101 ENFILE:23 ENOBUFS:105 ENODATA:61 ENODEV:19 ENOENT:2 ENOEXEC:8 ENOLCK:37 ENOLINK:67 ENOMEM:12 ENOMSG:42 ENOPROTOOPT:92 ENOSPC:28 ENOSR:63 ENOSTR:60 ENOSYS:38 ENOTCONN:107 ENOTDIR:20 ENOTEMPTY:39 ENOTSOCK:88 ENOTSUP:95 ENOTTY:25 ENXIO:6 EOPNOTSUPP:95 EOVERFLOW:75 EPERM:1 EPIPE:32 EPROTO:71 EPROTONOSUPPORT:93 EPROTOTYPE:91 ERANGE:34 EROFS:30 ESPIPE:29 ESRCH:3 ESTALE:116 ETIME:62 ETIMEDOUT:110 ETXTBSY:26 EWOULDBLOCK:11 EXDEV:18';

function constantsOf(table) {
  const out = {};
  for (const pair of table.split(' ')) {
    const [k, v] = pair.split(':');
    out[k] = Number(v);
  }
  return out;
}

const SIGNALS = 'SIGHUP:1 SIGINT:2 SIGQUIT:3 SIGILL:4 SIGTRAP:5 SIGABRT:6 SIGIOT:6 SIGBUS:7 SIGFPE:8 SIGKILL:9 SIGUSR1:10 SIGSEGV:11 SIGUSR2:12 SIGPIPE:13 SIGALRM:14 SIGTERM:15 SIGCHLD:17 SIGSTKFLT:16 SIGCONT:18 SIGSTOP:19 SIGTSTP:20 SIGTTIN:21 SIGTTOU:22 SIGURG:23 SIGXCPU:24 SIGXFSZ:25 SIGVTALRM:26 SIGPROF:27 SIGWINCH:28 SIGIO:29 SIGPOLL:29 SIGPWR:30 SIGSYS:31';
const PRIORITY = 'PRIORITY_LOW:19 PRIORITY_BELOW_NORMAL:10 PRIORITY_NORMAL:0 PRIORITY_ABOVE_NORMAL:-7 PRIORITY_HIGH:-14 PRIORITY_HIGHEST:-20';
const DLOPEN = 'RTLD_LAZY:1 RTLD_NOW:2 RTLD_GLOBAL:256 RTLD_LOCAL:0 RTLD_DEEPBIND:8';

const constants = {
  UV_UDP_REUSEADDR: 4,
  dlopen: constantsOf(DLOPEN),
  errno: constantsOf(ERRNO_TABLE),
  signals: constantsOf(SIGNALS),
  priority: constantsOf(PRIORITY),
};

const module = {
  EOL: '\n',
  devNull: '/dev/null',
  constants,
  arch: () => 'x64',
  machine: () => 'x86_64',
  platform: () => 'linux',
  type: () => 'Linux',
  release: () => '',
  version: () => '',
  hostname: () => 'localhost',
  homedir: () => '/bundle',
  tmpdir: () => '/tmp',
  endianness: () => (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'LE' : 'BE'),
  cpus: () => [],
  availableParallelism: () => 1,
  totalmem: () => 0,
  freemem: () => 0,
  uptime: () => 0,
  loadavg: () => [0, 0, 0],
  networkInterfaces: () => ({}),
  userInfo: () => ({ uid: -1, gid: -1, username: '', homedir: '/bundle', shell: null }),
  getPriority: () => 0,
  setPriority() {
    const e = new Error('The setPriority() method is not implemented');
    e.code = 'ERR_METHOD_NOT_IMPLEMENTED';
    throw e;
  },
};
