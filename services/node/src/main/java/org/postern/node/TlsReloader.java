package org.postern.node;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystem;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.logging.Logger;
import org.postern.tls.ServerCredentials;

/**
 * Keeps the server certificates current without a restart. Every {@code tls.reload_interval} it
 * stats the certificate and key files with Vert.x's asynchronous file system; when their times or
 * sizes move it reads them and hashes the content, and once the content has stayed the same for one
 * interval (so a half-copied pair is not loaded) it loads them on a worker thread and hands them to
 * whoever serves them. A reload that fails (bad PEM, a key that does not match, a key file others can
 * read) keeps the certificates in use and logs the file and the reason; it is retried each interval,
 * and logged again only when the reason changes. A daily timer re-runs the expiry check.
 *
 * <p>A verticle, so every callback runs on its one event loop; only {@code loader} blocks, on a
 * worker.
 */
final class TlsReloader extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.tls");
  static final Duration EXPIRY_CHECK_INTERVAL = Duration.ofDays(1);

  private final Duration interval;
  private FileSystem fs;
  /** What is watched and how it loads: the node's own files, or the ones a push wrote ({@link #follow}). */
  private List<Path> files;
  private Callable<List<ServerCredentials>> loader;
  /** Moves with every {@link #follow}, so a load begun on the old files is not installed after it. */
  private long generation;
  private final Function<List<ServerCredentials>, Future<Void>> install;
  private final CertificateExpiry expiry;
  /** Written on this verticle's loop, read by the admin API's status from another. */
  private volatile List<ServerCredentials> current;
  private String lastStat = "";
  private String loadedHash;
  private String candidate;
  private boolean pending;
  private boolean busy;
  private String lastFailure;
  private long watchTimer = -1;
  private long expiryTimer = -1;

  /**
   * @param files what to watch, as {@link ServerCredentials#files} names them
   * @param loader reads and checks the credentials; blocking, run on a worker
   * @param install makes new credentials serve (the inbound listener's swap)
   * @param current what is served now, or null when nothing could be loaded at start
   */
  TlsReloader(Duration interval, List<Path> files, Callable<List<ServerCredentials>> loader,
      Function<List<ServerCredentials>, Future<Void>> install, CertificateExpiry expiry,
      List<ServerCredentials> current) {
    this.interval = interval;
    this.files = List.copyOf(files);
    this.loader = loader;
    this.install = install;
    this.expiry = expiry;
    this.current = current;
  }

  /** The server certificates served now, or null when none could be loaded. */
  List<ServerCredentials> current() {
    return current;
  }

  /** Checks expiry now and daily, and watches the files every {@code interval}. */
  @Override
  public Future<?> start() {
    fs = vertx.fileSystem();
    if (current != null) {
      expiry.check(current);
    }
    expiryTimer = vertx.setPeriodic(EXPIRY_CHECK_INTERVAL.toMillis(), t -> {
      if (current != null) {
        expiry.check(current);
      }
    });
    // The hash of what was loaded at start, so the first tick does not reload it again.
    return stat().compose(s -> {
      lastStat = s;
      return hash();
    }).map(h -> {
      loadedHash = current == null ? null : h;
      watchTimer = vertx.setPeriodic(interval.toMillis(), t -> tick());
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(watchTimer);
    vertx.cancelTimer(expiryTimer);
    return Future.succeededFuture();
  }

  /**
   * Loads the files now, whatever the watcher thinks of them: for a configuration push that has
   * just written new files. Fails, keeping the old certificates, when they cannot be used.
   */
  Future<List<ServerCredentials>> reload(String why) {
    Promise<List<ServerCredentials>> done = Promise.promise();
    context.runOnContext(v -> hash().compose(h -> load(h, why)).onComplete(done));
    return done.future();
  }

  /**
   * From now on watches {@code newFiles}, loads with {@code newLoader}, and takes {@code installed}
   * as what is served: for a configuration push, which has already installed them. A reload of the
   * old files still under way is dropped.
   */
  Future<Void> follow(List<Path> newFiles, Callable<List<ServerCredentials>> newLoader,
      List<ServerCredentials> installed) {
    if (context == null) {
      // Not deployed yet: start() hashes what it is given to watch.
      files = List.copyOf(newFiles);
      loader = newLoader;
      current = installed;
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      files = List.copyOf(newFiles);
      loader = newLoader;
      generation++;
      current = installed;
      pending = false;
      lastFailure = null;
      if (installed != null) {
        expiry.check(installed);
      }
      stat().compose(s -> {
        lastStat = s;
        return hash();
      }).onSuccess(h -> {
        loadedHash = h;
        candidate = h;
      }).<Void>mapEmpty().onComplete(done);
    });
    return done.future();
  }

  private void tick() {
    if (busy) {
      return;
    }
    busy = true;
    stat().compose(s -> {
      if (s.equals(lastStat) && !pending) {
        return Future.succeededFuture();
      }
      lastStat = s;
      return hash().compose(h -> {
        if (h.equals(loadedHash)) {
          pending = false;
          return Future.succeededFuture();
        }
        if (!h.equals(candidate)) {
          candidate = h; // changed since the last look: let it settle for one interval
          pending = true;
          return Future.succeededFuture();
        }
        return load(h, "files changed").transform(ar -> {
          pending = ar.failed();
          return Future.succeededFuture();
        });
      });
    }).onComplete(ar -> busy = false);
  }

  private Future<List<ServerCredentials>> load(String hash, String why) {
    long started = generation;
    return vertx.executeBlocking(loader, false)
        .compose(fresh -> started != generation
            ? Future.<List<ServerCredentials>>failedFuture("a configuration push replaced the certificates meanwhile")
            : install.apply(fresh).map(v -> fresh))
        .onSuccess(fresh -> {
          current = fresh;
          loadedHash = hash;
          candidate = hash;
          lastFailure = null;
          for (ServerCredentials c : fresh) {
            LOG.info("TLS reloaded (" + why + "): " + c.source() + ", subject " + c.leaf().getSubjectX500Principal().getName()
                + ", SHA-256 fingerprint " + c.fingerprint() + "; new connections use it");
          }
          expiry.check(fresh);
        })
        .onFailure(e -> {
          String reason = e.getMessage() == null ? e.toString() : e.getMessage();
          if (!reason.equals(lastFailure)) {
            lastFailure = reason;
            LOG.severe("TLS reload failed (" + why + "): " + reason + "; still serving "
                + (current == null || current.isEmpty() ? "no certificate (STARTTLS answers 454)"
                    : "the previous certificate, SHA-256 " + current.get(0).fingerprint()));
          }
        });
  }

  /** Modification time and size of every file, or "missing": cheap, and no file content read. */
  private Future<String> stat() {
    List<Future<String>> each = files.stream()
        .map(f -> fs.props(f.toString()).map(p -> p.lastModifiedTime() + "/" + p.size()).otherwise("missing"))
        .toList();
    return Future.all(each).map(all -> String.join(",", all.<String>list()));
  }

  /** SHA-256 over every file's content (small PEM files); a missing file hashes as its absence. */
  private Future<String> hash() {
    List<Future<Buffer>> each = files.stream()
        .map(f -> fs.readFile(f.toString()).otherwise(Buffer.buffer("<missing " + f + ">"))).toList();
    return Future.all(each).map(all -> {
      try {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (Buffer b : all.<Buffer>list()) {
          md.update(b.getBytes());
          md.update((byte) 0);
        }
        return HexFormat.of().formatHex(md.digest());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    });
  }
}
