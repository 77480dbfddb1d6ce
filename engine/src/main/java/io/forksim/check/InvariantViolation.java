package io.forksim.check;

import java.util.List;

/** A simulated machine broke one or more invariants; the message lists every violation found, one per line. */
public final class InvariantViolation extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final List<String> violations;

    public InvariantViolation(final List<String> violations)
    {
        super(violations.size() + " invariant violation(s):\n  " + String.join("\n  ", violations));
        this.violations = List.copyOf(violations);
    }

    /** The violations, most specific first in discovery order. */
    public List<String> violations()
    {
        return violations;
    }
}
