package org.postern.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * The process's own figures, through Micrometer's binders under their usual names, so that a
 * stock JVM dashboard reads them: heap and non-heap by pool ({@code jvm_memory_used_bytes}), GC
 * pauses ({@code jvm_gc_pause_seconds}), threads, CPU, open file descriptors and uptime.
 */
final class NodeMetrics {

  private NodeMetrics() {}

  /**
   * Binds the JVM and process meters to {@code registry}. The GC binder listens to the JVM's GC
   * notifications until closed: the caller closes what this returns when the node stops.
   */
  static AutoCloseable bindJvm(MeterRegistry registry) {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    // Running out of descriptors is how a relay under a connection flood dies first.
    new FileDescriptorMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    return gc;
  }
}
