package io.github.portreservation.testing;

import io.github.portreservation.PortReservations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RequiresProvider}'s condition: enabled for a provider that works here, disabled naming the cause. */
class ProviderConditionTest {

    @Test
    @EnabledOnOs(OS.LINUX)
    void theLinuxProviderIsEnabledOnLinuxByNameAndAsTheDefault() {
        ConditionEvaluationResult byName = ProviderCondition.evaluate(PortReservations.LINUX);
        assertFalse(byName.isDisabled(), byName.getReason().orElse(""));
        assertEquals("provider linux", byName.getReason().orElse(""));
        ConditionEvaluationResult byDefault = ProviderCondition.evaluate("");
        assertFalse(byDefault.isDisabled(), byDefault.getReason().orElse(""));
        assertEquals("provider linux", byDefault.getReason().orElse(""));
    }

    @Test
    void anUnknownProviderIsDisabledNamingTheLookupsAnswer() {
        ConditionEvaluationResult result = ProviderCondition.evaluate("plan9");
        assertTrue(result.isDisabled());
        String reason = result.getReason().orElse("");
        assertTrue(reason.startsWith("the plan9 provider does not work here: "
                + "io.github.portreservation.PortReservationException: INVALID_ARGUMENT: provider name \"plan9\""),
                reason);
    }
}
