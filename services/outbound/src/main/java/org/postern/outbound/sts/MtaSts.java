package org.postern.outbound.sts;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Logger;
import org.postern.config.StsConfig;
import org.postern.tls.CaCertificates;
import org.postern.tls.EntrySeal;
import org.postern.tls.WebPkiTrust;

/**
 * MTA-STS (RFC 8461) for outbound: the policy, if any, of a recipient domain. Looks up
 * {@code _mta-sts.<domain>} TXT on every question, answers from the cache while the id is
 * unchanged, fetches the policy when there is none or the id changed, refreshes in the background
 * when a quarter of max_age is left, and keeps an unexpired policy when a refresh fails. In a
 * cluster one node fetches (under a cluster-wide lock per domain) and the others read its result
 * from the shared map. Used on one event loop; no question ever fails: without a policy the answer
 * is empty, as RFC 8461 §5.1 says a sender goes on then.
 */
public final class MtaSts {

  private static final Logger LOG = Logger.getLogger("postern.outbound");

  /** The DNS questions MTA-STS asks, through outbound's non-blocking resolver. */
  public interface Resolver {
    /** The TXT records of {@code name}, each record's strings joined; empty when there are none. */
    Future<List<String>> txt(String name);

    /** The IP addresses of {@code host}, IPv4 first. */
    Future<List<String>> addresses(String host);
  }

  /**
   * The policy that applies to a delivery, and where it came from.
   *
   * @param source {@code fetched}, {@code cached}, {@code cluster} (fetched by another node), or
   *     {@code cached, refresh failed}
   */
  public record Applied(CachedPolicy policy, String source) {
    public StsPolicy.Mode mode() {
      return policy.policy().mode();
    }

    public String id() {
      return policy.id();
    }

    public boolean matches(String mxHost) {
      return policy.policy().matches(mxHost);
    }

    /** {@code mode=enforce id=... max_age=... mx=... (cached)}. */
    public String describe() {
      return policy.describe() + " (" + source + ")";
    }
  }

  private final Vertx vertx;
  private final Resolver dns;
  private final PolicyFetcher fetcher;
  private final PolicyStore store;
  private final Map<String, Future<Applied>> fetching = new HashMap<>();
  private final List<Consumer<StsFailure>> listeners = new CopyOnWriteArrayList<>();

  private MtaSts(Vertx vertx, Resolver dns, PolicyFetcher fetcher, PolicyStore store) {
    this.vertx = vertx;
    this.dns = dns;
    this.fetcher = fetcher;
    this.store = store;
  }

  /**
   * Reads the CA file (on a worker) and the cache file, and in a cluster opens the shared map.
   *
   * @param httpsPort 443; tests serve policies on a free port
   * @param seal signs and checks the cluster map's entries; null keeps a clustered node's cache
   *     to itself, as without the event-bus key nothing it reads there could be trusted
   */
  public static Future<MtaSts> start(Vertx vertx, StsConfig config, Resolver dns, int httpsPort, EntrySeal seal) {
    return vertx.executeBlocking(() -> trust(config)).compose(trust -> {
      PolicyStore store = new PolicyStore(vertx, config.cacheFile(), config.cacheSize());
      MtaSts sts = new MtaSts(vertx, dns, new PolicyFetcher(vertx, trust, config.fetchTimeout(), dns::addresses,
          httpsPort), store);
      return store.load().compose(n -> {
        if (n > 0) {
          LOG.info("MTA-STS: " + n + " cached polic" + (n == 1 ? "y" : "ies") + " read from " + config.cacheFile());
        }
        return share(vertx, store, seal);
      }).map(sts);
    });
  }

  private static TrustOptions trust(StsConfig config) throws IOException, GeneralSecurityException {
    Set<X509Certificate> extra = CaCertificates.load(config.caFile(), "outbound.mta_sts_ca_file", "", "");
    if (!extra.isEmpty()) {
      LOG.info("MTA-STS: policy hosts verify against the JDK's CAs and " + extra.size() + " CA(s) from "
          + config.caFile() + " (outbound.mta_sts_ca_file)");
    }
    return WebPkiTrust.withExtra(extra);
  }

  private static Future<Void> share(Vertx vertx, PolicyStore store, EntrySeal seal) {
    if (!vertx.isClustered()) {
      return Future.succeededFuture();
    }
    if (seal == null) {
      LOG.warning("MTA-STS policies are not shared with the cluster: without an event-bus certificate"
          + " (cluster.bus_cert_chain) this node can neither sign its entries nor check others'");
      return Future.succeededFuture();
    }
    return vertx.sharedData().<String, String>getClusterWideMap(PolicyStore.SHARED_MAP)
        .onSuccess(map -> {
          store.share(map, seal);
          LOG.info("MTA-STS policies are cached cluster-wide (" + PolicyStore.SHARED_MAP
              + "), signed with this node's event-bus key");
        })
        .<Void>mapEmpty()
        .recover(e -> {
          LOG.warning("cannot open the cluster's MTA-STS policy cache: " + e.getMessage()
              + "; this node fetches and caches policies alone");
          return Future.succeededFuture();
        });
  }

  /** Calls {@code listener} with every failure recorded (TLS reporting's hook). */
  public void onFailure(Consumer<StsFailure> listener) {
    listeners.add(listener);
  }

  /** Logs {@code failure} and hands it to the listeners. */
  public void record(String queueId, StsFailure failure) {
    String verb = failure.mode() == StsPolicy.Mode.ENFORCE ? "failed" : failure.mode() == StsPolicy.Mode.TESTING
        ? "would fail (mode testing, delivered anyway)" : "policy not fetched";
    LOG.info((queueId == null ? "" : queueId + ": ") + "MTA-STS " + verb + ": " + failure.describe());
    listeners.forEach(l -> l.accept(failure));
  }

  /** The policy of {@code domain}, if it has one we can use; never fails. */
  public Future<Optional<Applied>> policy(String domain) {
    String d = domain.toLowerCase(Locale.ROOT);
    return dns.txt("_mta-sts." + d)
        .map(StsRecord::id)
        // A failed lookup counts as no record: a cached policy stays in force (§5.1), and
        // without one the domain has none.
        .otherwise(Optional.empty())
        .compose(id -> known(d).compose(cached -> decide(d, id, cached)))
        .otherwise(t -> {
          LOG.warning("MTA-STS: looking up the policy of " + d + " failed: " + t + "; delivering as without one");
          return Optional.empty();
        });
  }

  private Future<Optional<Applied>> decide(String d, Optional<String> id, Applied cached) {
    long now = System.currentTimeMillis();
    if (cached != null) {
      if (id.isPresent() && !id.get().equals(cached.id())) {
        LOG.info("MTA-STS: the policy id of " + d + " changed from " + cached.id() + " to " + id.get() + "; fetching");
        return refresh(d, id.get()).map(Optional::of).recover(t -> {
          failed(d, id.get(), t);
          LOG.info("MTA-STS: keeping the cached policy of " + d + " (" + cached.policy().describe() + ", valid for "
              + cached.policy().leftAt(now).toSeconds() + " s more)");
          return Future.succeededFuture(Optional.of(new Applied(cached.policy(), "cached, refresh failed")));
        });
      }
      if (id.isPresent() && cached.policy().refreshDueAt(now) && !fetching.containsKey(d)) {
        LOG.info("MTA-STS: the policy of " + d + " expires in " + cached.policy().leftAt(now).toSeconds()
            + " s; refreshing it");
        refresh(d, id.get()).onFailure(t -> {
          failed(d, id.get(), t);
          LOG.info("MTA-STS: keeping the cached policy of " + d + " until it expires");
        });
      }
      return Future.succeededFuture(Optional.of(cached));
    }
    if (id.isEmpty()) {
      return Future.succeededFuture(Optional.empty());
    }
    return refresh(d, id.get()).map(Optional::of).recover(t -> {
      failed(d, id.get(), t);
      return Future.succeededFuture(Optional.empty());
    });
  }

  /** An unexpired policy this node holds, else the cluster's copy; null when neither has one. */
  private Future<Applied> known(String d) {
    long now = System.currentTimeMillis();
    CachedPolicy local = store.local(d);
    if (local != null && local.validAt(now)) {
      return Future.succeededFuture(new Applied(local, "cached"));
    }
    return store.cluster(d).map(p -> {
      if (p == null || !p.validAt(now)) {
        return null;
      }
      store.put(p, false);
      return new Applied(p, "cluster");
    });
  }

  /** Fetches the policy with {@code id}, once per domain at a time on this node, and once in the cluster. */
  private Future<Applied> refresh(String d, String id) {
    Future<Applied> under = fetching.get(d);
    if (under != null) {
      return under;
    }
    Future<Applied> f = store.shared() ? underClusterLock(d, id) : fetch(d, id);
    fetching.put(d, f);
    f.onComplete(ar -> fetching.remove(d));
    return f;
  }

  /**
   * In a cluster: another node may be fetching the same policy, or have fetched it already. Under
   * a cluster-wide lock per domain, the map is read again first; only if it lacks this id (or its
   * copy is itself due for renewal) does this node fetch. Without the lock in time, it fetches
   * anyway: a second fetch is cheaper than a delivery that waits.
   */
  private Future<Applied> underClusterLock(String d, String id) {
    return vertx.sharedData().getLockWithTimeout("postern.outbound.mta-sts.fetch." + d, fetcher.timeout().toMillis())
        .transform(lock -> {
          Future<Applied> work = store.cluster(d).compose(p -> {
            long now = System.currentTimeMillis();
            if (p != null && p.id().equals(id) && p.validAt(now) && !p.refreshDueAt(now)) {
              store.put(p, false);
              LOG.info("MTA-STS: policy of " + d + " fetched by another node of the cluster: " + p.describe());
              return Future.succeededFuture(new Applied(p, "cluster"));
            }
            return fetch(d, id);
          });
          return lock.succeeded() ? work.onComplete(ar -> lock.result().release()) : work;
        });
  }

  private Future<Applied> fetch(String d, String id) {
    return fetcher.fetch(d).compose(policy -> {
      CachedPolicy p = CachedPolicy.fetched(d, id, policy, System.currentTimeMillis());
      LOG.info("MTA-STS: fetched the policy of " + d + ": " + p.describe()
          + (store.shared() ? "; shared with the cluster" : ""));
      return store.put(p, true).map(new Applied(p, "fetched"));
    });
  }

  private void failed(String d, String id, Throwable t) {
    StsFailure.Result result = t instanceof PolicyFetcher.FetchFailure f ? f.result
        : StsFailure.Result.STS_POLICY_FETCH_ERROR;
    record(null, new StsFailure(d, id, null, "", result, t.getMessage()));
  }

  /** Whether the cache file is being written: tests wait for it to settle. */
  boolean persisting() {
    return store.writing();
  }

  public Future<Void> close() {
    return fetcher.close();
  }
}
