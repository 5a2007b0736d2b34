package io.github.portreservation.pool;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The {@link NonBlockingThreads} implementations registered with {@link ServiceLoader}, found once: a thread is
 * non-blocking when any of them says so. An implementation that cannot be loaded is left out, with a warning.
 */
final class DiscoveredNonBlockingThreads implements NonBlockingThreads {
    private static final System.Logger LOG = System.getLogger(DiscoveredNonBlockingThreads.class.getName());

    private final NonBlockingThreads[] policies;

    private DiscoveredNonBlockingThreads(List<NonBlockingThreads> policies) {
        this.policies = policies.toArray(new NonBlockingThreads[0]);
    }

    /** The implementations registered for this library's class loader, looked up on first use. */
    static NonBlockingThreads instance() {
        return Holder.INSTANCE;
    }

    /** Every implementation {@code loader} finds; those that fail to load are left out. */
    static DiscoveredNonBlockingThreads load(ServiceLoader<NonBlockingThreads> loader) {
        List<NonBlockingThreads> found = new ArrayList<>();
        Iterator<NonBlockingThreads> it = loader.iterator();
        for (;;) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError e) {
                LOG.log(Level.WARNING, "A NonBlockingThreads implementation could not be loaded and is ignored: "
                        + "the pool may block such threads when it waits for a port", e);
            }
        }
        return new DiscoveredNonBlockingThreads(found);
    }

    @Override
    public boolean isNonBlocking(Thread thread) {
        for (NonBlockingThreads policy : policies) {
            if (policy.isNonBlocking(thread)) {
                return true;
            }
        }
        return false;
    }

    /** How many implementations were found. */
    int size() {
        return policies.length;
    }

    @Override
    public String toString() {
        if (policies.length == 0) {
            return "no NonBlockingThreads implementation";
        }
        StringBuilder sb = new StringBuilder();
        for (NonBlockingThreads policy : policies) {
            sb.append(sb.length() == 0 ? "" : " + ").append(policy);
        }
        return sb.toString();
    }

    private static final class Holder {
        static final DiscoveredNonBlockingThreads INSTANCE = load(ServiceLoader.load(NonBlockingThreads.class,
                NonBlockingThreads.class.getClassLoader()));
    }
}
