package io.github.portreservation.pool;

import io.github.portreservation.PortBinder;
import io.github.portreservation.PortRange;
import io.github.portreservation.Protocol;
import io.github.portreservation.testing.PortBinderContract;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The binder contract ({@link PortBinderContract}) on a pool of one two-port block, held from build(). */
@EnabledOnOs(OS.LINUX)
class PoolBinderContractTest extends PortBinderContract {
    private ReservationPool pool;

    @Override
    protected PortBinder newBinder() {
        pool = ReservationPool.builder(LinuxPools.provider(), Protocol.TCP).blockSize(2).maxBlocks(1).minBlocks(1)
                .failWhenExhausted().build();
        return pool;
    }

    @Override
    protected PortRange ports() {
        return pool.blockRanges().get(0);
    }

    @Override
    protected int freePorts() {
        return pool.statistics().free();
    }

    @Override
    protected void closeBinder() {
        pool.close();
    }

    @Override
    protected int portOutside() {
        return ports().end() + 1;
    }
}
