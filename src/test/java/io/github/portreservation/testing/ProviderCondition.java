package io.github.portreservation.testing;

import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.PortReservations;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

import java.util.Optional;

/**
 * The condition behind {@link RequiresProvider}: enabled when {@link PortReservations} can give the provider the
 * annotation names (the nearest annotation counts: a method's before its class's), disabled with the cause otherwise.
 */
public final class ProviderCondition implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<RequiresProvider> required = context.getElement()
                .flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresProvider.class));
        if (required.isEmpty()) {
            return ConditionEvaluationResult.enabled("no @RequiresProvider here");
        }
        return evaluate(required.get().value());
    }

    /** Whether the provider called {@code name} (empty: the default provider) works here, and why not. */
    static ConditionEvaluationResult evaluate(String name) {
        if (name.isEmpty()) {
            return PortReservations.isAvailable()
                    ? ConditionEvaluationResult.enabled("provider " + PortReservations.provider().name())
                    : ConditionEvaluationResult.disabled("no port reservation provider here: "
                    + PortReservations.unavailabilityCause());
        }
        try {
            PortReservationProvider provider = PortReservations.provider(name);
            return ConditionEvaluationResult.enabled("provider " + provider.name());
        } catch (RuntimeException | LinkageError e) {
            return ConditionEvaluationResult.disabled("the " + name + " provider does not work here: " + e);
        }
    }
}
