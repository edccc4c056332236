package org.postern.outbound.sts;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.shareddata.AsyncMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.security.GeneralSecurityException;
import java.util.logging.Logger;
import org.postern.tls.EntrySeal;

/**
 * Where fetched policies are kept: in memory (at most {@code capacity} domains, the least used
 * dropped first), in a file so that they survive a restart, and, in a cluster, in a cluster-wide
 * map ({@link #SHARED_MAP}, Hazelcast) so that one node's fetch serves every node.
 *
 * <p>The file is one JSON line per policy, rewritten whole (to a temporary file, then renamed
 * over the old one) after each change, through Vert.x's asynchronous file system: policies change
 * about once per domain and day, so a whole rewrite costs nothing worth a journal, and the rename
 * means a crash leaves the old file or the new one. It is not synced: losing the last policies in
 * a power cut only costs a fetch each. Entries in the cluster's map are signed with the writing
 * node's event-bus key ({@link EntrySeal}); one that fails the check is ignored and logged, and
 * the node fetches for itself. Used on one event loop.
 */
final class PolicyStore {

  private static final Logger LOG = Logger.getLogger("postern.outbound");

  /** The cluster-wide map: domain to {@link CachedPolicy#encode}'s JSON. */
  static final String SHARED_MAP = "postern.outbound.mta-sts.v1";

  private final Vertx vertx;
  private final String file;
  private final Map<String, CachedPolicy> memory;
  private AsyncMap<String, String> shared;
  private EntrySeal seal;
  private boolean writing;
  private boolean dirty;

  /**
   * @param file where policies persist, or empty to keep them in memory only
   * @param capacity the most domains kept
   */
  PolicyStore(Vertx vertx, String file, int capacity) {
    this.vertx = vertx;
    this.file = file;
    this.memory = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, CachedPolicy> eldest) {
        return size() > capacity;
      }
    };
  }

  /**
   * Shares the cache through {@code map}, a cluster-wide map, its entries signed and checked with
   * {@code seal}; standalone nodes never call this.
   */
  void share(AsyncMap<String, String> map, EntrySeal seal) {
    this.shared = map;
    this.seal = seal;
  }

  boolean shared() {
    return shared != null;
  }

  /** Reads the file, keeping the unexpired policies; a missing file is an empty cache. */
  Future<Integer> load() {
    if (file.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return vertx.fileSystem().exists(file).compose(exists -> !exists ? Future.succeededFuture(0)
        : vertx.fileSystem().readFile(file).map(buffer -> {
          long now = System.currentTimeMillis();
          int bad = 0;
          for (String line : buffer.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
              continue;
            }
            try {
              CachedPolicy p = CachedPolicy.decode(line);
              if (p.validAt(now)) {
                memory.put(p.domain(), p);
              }
            } catch (IllegalArgumentException e) {
              bad++;
            }
          }
          if (bad > 0) {
            LOG.warning(file + " (outbound.mta_sts_cache_file): skipped " + bad + " unreadable line(s)");
          }
          return memory.size();
        }));
  }

  /** This node's copy, valid or not. */
  CachedPolicy local(String domain) {
    return memory.get(domain);
  }

  /**
   * The cluster's copy, when it is shared and holds a readable one; null otherwise. Never fails:
   * a map that does not answer leaves the node to fetch for itself.
   */
  Future<CachedPolicy> cluster(String domain) {
    if (shared == null) {
      return Future.succeededFuture(null);
    }
    return shared.get(domain).map(json -> {
      if (json == null) {
        return null;
      }
      try {
        CachedPolicy p = CachedPolicy.decode(seal.open(SHARED_MAP, json).payload());
        if (!p.domain().equals(domain)) {
          throw new IllegalArgumentException("it is the policy of " + p.domain());
        }
        return p;
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        LOG.warning("MTA-STS: ignoring the cluster's entry for " + domain + " (" + e.getMessage()
            + "); fetching the policy here");
        return null;
      }
    }).otherwise(t -> {
      LOG.warning("MTA-STS: the cluster's policy cache did not answer for " + domain + ": " + t.getMessage());
      return null;
    });
  }

  /** Keeps {@code p} here (memory and file) and, when {@code toCluster}, in the cluster's map. */
  Future<Void> put(CachedPolicy p, boolean toCluster) {
    memory.put(p.domain(), p);
    persist();
    if (!toCluster || shared == null) {
      return Future.succeededFuture();
    }
    long ttl = p.expiresAt() - System.currentTimeMillis();
    if (ttl <= 0) {
      return Future.succeededFuture();
    }
    return shared.put(p.domain(), seal.seal(SHARED_MAP, p.encode()), ttl).recover(t -> {
      LOG.warning("MTA-STS: cannot share the policy of " + p.domain() + " with the cluster: " + t.getMessage());
      return Future.succeededFuture();
    });
  }

  private void persist() {
    if (file.isEmpty()) {
      return;
    }
    if (writing) {
      dirty = true;
      return;
    }
    writing = true;
    dirty = false;
    List<String> lines = new ArrayList<>();
    long now = System.currentTimeMillis();
    memory.values().stream().filter(p -> p.validAt(now)).forEach(p -> lines.add(p.encode()));
    String tmp = file + ".tmp";
    vertx.fileSystem().writeFile(tmp, Buffer.buffer(String.join("\n", lines) + "\n"))
        .compose(v -> vertx.fileSystem().move(tmp, file, new CopyOptions().setReplaceExisting(true)
            .setAtomicMove(true)))
        .onFailure(t -> LOG.warning("cannot write " + file + " (outbound.mta_sts_cache_file): " + t.getMessage()
            + "; MTA-STS policies are kept in memory only"))
        .onComplete(ar -> {
          writing = false;
          if (dirty) {
            persist();
          }
        });
  }

  /** Whether a write is under way or pending: tests wait for the file to settle. */
  boolean writing() {
    return writing || dirty;
  }
}
