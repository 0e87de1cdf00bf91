// node:fs and node:fs/promises as Cloudflare's runtime has them before its
// virtual file system (a Worker with no `enable_nodejs_fs_module`): the
// module can be imported — packages that touch the file system only on
// paths a Worker never takes (database drivers reading certificate files,
// loggers) load as they do on Workers — and every call fails with
// ERR_METHOD_NOT_IMPLEMENTED naming the function (the promise forms
// reject with it). `constants` and the `F_OK`… access modes are Node's.
const { nodeError } = nodeGroup('buffer');

const FS_CONSTANTS = Object.freeze({
  UV_FS_SYMLINK_DIR: 1, UV_FS_SYMLINK_JUNCTION: 2, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2,
  UV_DIRENT_UNKNOWN: 0, UV_DIRENT_FILE: 1, UV_DIRENT_DIR: 2, UV_DIRENT_LINK: 3, UV_DIRENT_FIFO: 4,
  UV_DIRENT_SOCKET: 5, UV_DIRENT_CHAR: 6, UV_DIRENT_BLOCK: 7, S_IFMT: 61440, S_IFREG: 32768,
  S_IFDIR: 16384, S_IFCHR: 8192, S_IFBLK: 24576, S_IFIFO: 4096, S_IFLNK: 40960, S_IFSOCK: 49152,
  O_CREAT: 64, O_EXCL: 128, UV_FS_O_FILEMAP: 0, O_NOCTTY: 256, O_TRUNC: 512, O_APPEND: 1024,
  O_DIRECTORY: 65536, O_NOATIME: 262144, O_NOFOLLOW: 131072, O_SYNC: 1052672, O_DSYNC: 4096,
  O_DIRECT: 16384, O_NONBLOCK: 2048, S_IRWXU: 448, S_IRUSR: 256, S_IWUSR: 128, S_IXUSR: 64,
  S_IRWXG: 56, S_IRGRP: 32, S_IWGRP: 16, S_IXGRP: 8, S_IRWXO: 7, S_IROTH: 4, S_IWOTH: 2, S_IXOTH: 1,
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, UV_FS_COPYFILE_EXCL: 1, COPYFILE_EXCL: 1,
  UV_FS_COPYFILE_FICLONE: 2, COPYFILE_FICLONE: 2, UV_FS_COPYFILE_FICLONE_FORCE: 4, COPYFILE_FICLONE_FORCE: 4,
});

const FS_FUNCTIONS = 'appendFile access chown chmod close copyFile cp exists fchown fchmod fdatasync \
fstat fsync ftruncate futimes lchown lchmod link lstat lutimes mkdir mkdtemp open opendir readdir read readv \
readFile readlink realpath rename rm rmdir stat statfs symlink truncate unlink utimes writeFile write writev';
const FS_PROMISES = 'access copyFile cp open opendir rename truncate rm rmdir mkdir readdir readlink symlink \
lstat stat statfs link unlink chmod lchmod lchown chown utimes lutimes realpath mkdtemp writeFile appendFile \
readFile watch';

function fsNotImplemented(name) {
  return nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${name} method is not implemented`);
}

function failing(name) {
  // Named as Node's functions are.
  return { [name]() { throw fsNotImplemented(`fs.${name}`); } }[name];
}

const fsPromises = { constants: FS_CONSTANTS };
for (const name of FS_PROMISES.split(' ')) {
  fsPromises[name] = { async [name]() { throw fsNotImplemented(`fs.promises.${name}`); } }[name];
}

const module = { constants: FS_CONSTANTS, promises: fsPromises, F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 };
for (const name of FS_FUNCTIONS.split(' ')) {
  module[name] = failing(name);
  module[`${name}Sync`] = failing(`${name}Sync`);
}
for (const name of ['createReadStream', 'createWriteStream', 'watch', 'watchFile', 'unwatchFile', 'openAsBlob', 'Dirent', 'Stats', 'ReadStream', 'WriteStream', 'Dir']) {
  module[name] = failing(name);
}
