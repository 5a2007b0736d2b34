package io.github.portreservation.testing;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated test class or method only where a port-reservation provider works: the platform's default one
 * ({@code @RequiresProvider}), or the named one ({@code @RequiresProvider(PortReservations.LINUX)}). Elsewhere the
 * tests are skipped, naming the cause ({@link ProviderCondition}). Subclasses of an annotated class inherit it.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(ProviderCondition.class)
public @interface RequiresProvider {
    /** The provider's name ({@code linux}, {@code windows}); empty for the platform's default provider. */
    String value() default "";
}
